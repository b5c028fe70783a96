package reliability

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestZoneDoubleSpend: one hoster serves two zones from one store — the
// real site, settled on Horizon, and a demo zone whose offline ledger
// holds the same funded payers. Every payment request of the real zone is
// posted to the demo zone (by callback and as a credential, from many
// circuits at once), then paid in the real zone, and the same sessions
// fetch the demo zone again in parallel. Nothing the demo zone serves or
// credits may come from the real zone's requests or payments: the row's
// duplicated count is the credits recorded in the demo zone plus every
// response body it served to those sessions.
func TestZoneDoubleSpend(t *testing.T) {
	requests, tries := harness.Size(4, 40), harness.Size(8, 32)
	st := harness.StartStellar(t, requests)
	genesis, _ := json.Marshal(st.Genesis)
	ledgerFile := filepath.Join(t.TempDir(), "demo-ledger.json")
	if err := os.WriteFile(ledgerFile, genesis, 0o600); err != nil {
		t.Fatal(err)
	}
	root := harness.SiteFiles(t, roundBytes, 0)
	demoAddr := harness.FreeAddr(t)
	site := harness.Site{Root: root, LogLevel: "ERROR",
		Torplus: append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", roundBytes), "grace off")}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		demo := strings.Replace(strings.Join(site.Torplus, "\n\t\t\t"), "backend horizon "+st.Horizon.URL,
			"backend offline\n\t\t\toffline_ledger "+ledgerFile, 1)
		return site.Caddyfile(h) + fmt.Sprintf(`
http://:%s {
	bind 127.0.0.1
	route {
		torplus demo {
			%s
			store %s
		}
		root * %s
		file_server
	}
}
`, demoAddr[strings.LastIndexByte(demoAddr, ':')+1:], demo, site.Store, root)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	accept := http.Header{"Accept": {"application/json"}}

	var row tally.Row
	var demoServed, accepted atomic.Int64
	for i := range requests {
		real := harness.NewClient(h.Addr, uint32(30_000+i))
		real.Token = randomToken()
		resp, err := real.Get(ctx, "/f.bin", accept)
		if err != nil || resp.StatusCode != http.StatusPaymentRequired {
			t.Fatalf("real zone without paying: %v %v", resp, err)
		}
		o, err := harness.OfferOf(resp)
		if err != nil {
			t.Fatalf("real zone's offer: %v", err)
		}
		pr := o.Request
		env, hash, err := st.Pay(st.Payers[i], pr)
		if err != nil {
			t.Fatal(err)
		}
		// The real zone's request, spent at the demo zone from many circuits.
		var wg sync.WaitGroup
		for k := range tries {
			wg.Go(func() {
				c := harness.NewClient(demoAddr, uint32(40_000+tries*i+k))
				defer c.CloseIdleConnections()
				c.Token = real.Token
				var resp *harness.Response
				var err error
				if k%2 == 0 {
					resp, err = c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
				} else {
					resp, err = c.Get(ctx, "/f.bin", http.Header{"Authorization": {o.Credential(env)}})
				}
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return // served from the session's own bytes at the demo zone, cut where they ran out: nothing paid
				}
				if err != nil {
					t.Errorf("demo zone (%s): %v", map[bool]string{true: "callback", false: "credential"}[k%2 == 0], err)
					return
				}
				if resp.StatusCode < 300 {
					accepted.Add(1)
					demoServed.Add(int64(len(resp.Body)))
					t.Errorf("the demo zone took the real zone's payment: %d %s", resp.StatusCode, resp.Body)
				}
			})
		}
		wg.Wait()
		row.Inputs += int64(tries)
		// Paid where it belongs, then the same session at the demo zone.
		if resp, err := real.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}}); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("paying the real zone: %v %v", resp, err)
		}
		if !st.Landed(hash) {
			t.Fatalf("payment %s did not land", hash)
		}
		for k := range tries {
			wg.Go(func() {
				c := harness.NewClient(demoAddr, uint32(50_000+tries*i+k))
				defer c.CloseIdleConnections()
				c.Token = real.Token
				resp, err := c.Get(ctx, "/f.bin", accept)
				if err == nil && resp.StatusCode == http.StatusOK {
					demoServed.Add(int64(len(resp.Body)))
				}
			})
		}
		wg.Wait()
		row.Inputs += int64(tries)
		real.CloseIdleConnections()
	}
	h.Stop()
	db, err := sql.Open("sqlite", strings.TrimPrefix(site.Store, "sqlite "))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var demoCredits, realCredits int64
	if err := db.QueryRow(`SELECT COUNT(*) FROM torplus_credits WHERE zone = 'demo'`).Scan(&demoCredits); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM torplus_credits WHERE zone = 'default'`).Scan(&realCredits); err != nil {
		t.Fatal(err)
	}
	row.Records = realCredits + demoCredits
	row.Lost = int64(requests) - realCredits
	row.Duplicated = demoCredits + demoServed.Load() + accepted.Load()
	if row.Lost != 0 || row.Duplicated != 0 {
		t.Errorf("%d real payments credited of %d; demo zone: %d credits, %d bytes served, %d payments accepted",
			realCredits, requests, demoCredits, demoServed.Load(), accepted.Load())
	}
	if got, want := st.Received(t), int64(requests)*10_000_000; got != want {
		t.Errorf("operator received %d stroops on Horizon, want %d", got, want)
	}
	tally.Record(t, row)
}
