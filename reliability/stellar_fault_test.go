package reliability

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestStellarDownOrSlow: payers pay while Horizon is unreachable, and
// again while it answers slower than the hoster waits. Their payments are
// answered 503 with Retry-After, they are kept within their grace period
// (served, throttled, never refused with a 402), and once Horizon is back
// every payment settles and is credited exactly once.
func TestStellarDownOrSlow(t *testing.T) {
	payers := harness.Size(4, 16)
	st := harness.StartStellar(t, 2*payers) // a payer per payment: a pending one holds its sequence number
	site := harness.Site{
		Root: harness.SiteFiles(t, roundBytes, 0),
		Torplus: append(st.Terms("1"), fmt.Sprintf("free_round %dB", 2*roundBytes), fmt.Sprintf("round %dB", roundBytes),
			"ask_at 0.01", "grace 60s", "throttle 200KB", "settle_timeout 3s"),
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var row tally.Row
	var hashes []string
	for _, fault := range []string{"down", "slow"} {
		switch fault {
		case "down":
			if err := st.Horizon.SetUnreachable(true); err != nil {
				t.Fatal(err)
			}
		case "slow":
			st.Horizon.SetDelay(5 * time.Second)
		}
		row.Faults++
		for i := 0; i < payers; i++ {
			c := harness.NewClient(h.Addr, uint32(20_000+len(hashes)))
			c.Token = randomToken()
			// The free round (two fetches), the next request announced in the second.
			var notice *harness.Response
			for k := 0; k < 2; k++ {
				resp, err := c.Get(ctx, "/f.bin", nil)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: free round: %v %v", fault, resp, err)
				}
				notice = resp
			}
			o, err := harness.OfferOf(notice)
			pr := o.Request
			if err != nil {
				t.Fatalf("%s: no early payment request: %v", fault, err)
			}
			env, hash, err := harness.Sign(st.Payers[len(hashes)], seqOf(t, st, st.Payers[len(hashes)])+1, pr)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hash)
			pay, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
			row.Inputs++
			if err != nil || pay.StatusCode != http.StatusServiceUnavailable || pay.Header.Get("Retry-After") == "" {
				t.Fatalf("%s: payment answered %v %v, want 503 with Retry-After", fault, pay, err)
			}
			// Within grace: served, throttled, not refused.
			for k := 0; k < 3; k++ {
				resp, err := c.Get(ctx, "/f.bin", nil)
				row.Inputs++
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: fetch %d while the payment waits: %v %v, want 200 within grace", fault, k, resp, err)
				}
			}
		}
		st.Horizon.SetUnreachable(false)
		st.Horizon.SetDelay(0)
	}
	// Back: every payment settles, once.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b := harness.ReadBooks(t, site.Store)
		n := 0
		for _, hash := range hashes {
			if b.Credits[hash] == 1 {
				n++
			}
		}
		if n == len(hashes) {
			break
		}
		if time.Now().After(deadline) {
			row.Lost = int64(len(hashes) - n)
			t.Errorf("2 minutes after Horizon came back, %d of %d payments are credited", n, len(hashes))
			break
		}
		time.Sleep(time.Second)
	}
	h.Stop()
	b := harness.ReadBooks(t, site.Store)
	for _, hash := range hashes {
		row.Records++
		if b.Credits[hash] > 1 {
			row.Duplicated += int64(b.Credits[hash] - 1)
			t.Errorf("payment %s: %d credits, landed %v", hash, b.Credits[hash], st.Landed(hash))
		}
	}
	if got, want := st.Received(t), int64(len(hashes))*10_000_000; got != want || b.CreditedStroops != want {
		t.Errorf("operator received %d stroops, credited %d; want %d", got, b.CreditedStroops, want)
	}
	tally.Record(t, row)
}
