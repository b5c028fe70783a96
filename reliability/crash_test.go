package reliability

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/internal/pgtest"
	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// roundBytes is the paid round of the crash and fault tests, and the size
// of /f.bin: each paid fetch uses one round up.
const roundBytes = 8000

// TestCrashConsistency: payers buy rounds (half through the SEP-7
// callback, half with Authorization: Payment) and attention reports stream
// in while the hoster is killed with SIGKILL at random moments and started
// again, many times. Afterwards, with SQLite and with PostgreSQL: every
// payment the client got a 2xx for, and every payment that landed on the
// Stellar ledger, is credited exactly once; nothing is credited that did
// not land; the operator received exactly what was credited; every
// acknowledged report is stored, and none twice.
func TestCrashConsistency(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { runCrashes(t, driver) })
	}
}

// crashRun is what the clients of one crash test did.
type crashRun struct {
	h     *harness.Hoster
	st    *harness.Stellar
	pages int64

	mu        sync.Mutex
	payments  []sentPayment
	reports   map[string]bool // page → acknowledged
	unexpects map[int]int     // status → count, for statuses a client did not expect
	acked     atomic.Int64
	nextPage  atomic.Int64
}

type sentPayment struct {
	hash   string
	stroop int64
	acked  bool
}

func runCrashes(t *testing.T, driver string) {
	crashes, payments, workers := harness.Size(3, 25), harness.Size(200, 1000), harness.Size(8, 16)
	st := harness.StartStellar(t, workers)
	run := &crashRun{st: st, pages: int64(payments) * 2, reports: map[string]bool{}, unexpects: map[int]int{}}
	site := harness.Site{
		Root: harness.SiteFiles(t, roundBytes, int(run.pages)),
		Torplus: append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", roundBytes), "grace off",
			"settle_timeout 10s", "flush_interval 100ms"),
		Attention: []string{"rate 100000 100000"},
	}
	if driver == "postgres" {
		site.Ledger = "postgres " + pgtest.Start(t).DSN
	}
	run.h = harness.NewHoster(t, func(h *harness.Hoster) string {
		if driver == "sqlite" {
			site.Ledger = "sqlite " + filepath.Join(h.Dir, "ledger.db")
		}
		return site.Caddyfile(h)
	})
	run.h.Start()

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(harness.Size(3, 10))*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); run.worker(ctx, stop, i) }()
	}
	// Kill at random moments while payments settle; then let the payers
	// reach their count.
	survived := 0
	for survived < crashes && ctx.Err() == nil {
		time.Sleep(time.Duration(300+mathrand.IntN(1200)) * time.Millisecond)
		run.h.Kill()
		time.Sleep(time.Duration(mathrand.IntN(300)) * time.Millisecond)
		if err := run.h.TryStart(time.Minute); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("restart after crash %d: %v\n%s", survived+1, err, run.h.Tail(30))
		}
		survived++
	}
	for run.acked.Load() < int64(payments) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("timed out: %d of %d payments acknowledged after %d crashes", run.acked.Load(), payments, survived)
	}

	// One last crash; the restart finishes interrupted settlements, and
	// the books are read after a final kill -9 (no graceful shutdown).
	run.h.Kill()
	run.h.Start()
	deadline := time.Now().Add(time.Minute)
	for run.unsettled(t, harness.ReadBooks(t, site.Ledger)) > 0 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	run.h.Kill()
	row := run.check(t, harness.ReadBooks(t, site.Ledger))
	row.Faults, row.Crashes = int64(survived+2), int64(survived+2)
	t.Logf("%d payments sent, %d acknowledged; %d reports sent; unexpected statuses %v",
		len(run.payments), run.acked.Load(), len(run.reports), run.unexpects)
	tally.Record(t, row)
}

// worker is one payer on its own circuit and session: it fetches /f.bin,
// pays each 402, and sends an attention report per payment, until stop.
func (r *crashRun) worker(ctx context.Context, stop <-chan struct{}, i int) {
	c := harness.NewClient(r.h.Addr, uint32(1000+i))
	defer c.CloseIdleConnections()
	c.Token = randomToken()
	payer := r.st.Payers[i]
	accept := http.Header{"Accept": {"application/json"}}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		resp, err := c.Get(ctx, "/f.bin", accept)
		if err != nil { // the hoster is down: try again shortly
			time.Sleep(50 * time.Millisecond)
			continue
		}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusPaymentRequired:
			var pr payreq.Request
			if err := json.Unmarshal(resp.Body, &pr); err != nil {
				r.unexpected(-1)
				continue
			}
			r.report(ctx, c)
			r.pay(ctx, c, payer, pr, n%2 == 0)
		default:
			r.unexpected(resp.StatusCode)
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// pay pays pr through the callback or, with viaAuth, by fetching /f.bin
// again with the credential, and records whether it was acknowledged.
func (r *crashRun) pay(ctx context.Context, c *harness.Client, payer *keypair.Full, pr payreq.Request, viaAuth bool) {
	env, hash, err := r.st.Pay(payer, pr)
	if err != nil {
		r.unexpected(-2)
		return
	}
	stroops, _ := stellarpay.ParseAmount(pr.Amount)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	acked := false
	if viaAuth {
		cred := stellarpay.Credential{ID: pr.ID, XDR: env}
		resp, err := c.Get(rctx, "/f.bin", http.Header{"Authorization": {cred.Header()}})
		acked = err == nil && resp.StatusCode == http.StatusOK && len(resp.Body) == roundBytes
	} else {
		resp, err := c.PostForm(rctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
		var rc struct {
			Status string `json:"status"`
			TxHash string `json:"tx_hash"`
		}
		acked = err == nil && resp.StatusCode == http.StatusOK && json.Unmarshal(resp.Body, &rc) == nil &&
			rc.Status == "paid" && rc.TxHash == hash
	}
	r.mu.Lock()
	r.payments = append(r.payments, sentPayment{hash: hash, stroop: stroops, acked: acked})
	r.mu.Unlock()
	if acked {
		r.acked.Add(1)
	}
}

// report sends one attention report for a page no other report names.
func (r *crashRun) report(ctx context.Context, c *harness.Client) {
	n := r.nextPage.Add(1) - 1
	if n >= r.pages {
		return
	}
	page := fmt.Sprintf("/p/%d.html", n)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := c.PostJSON(rctx, "/.well-known/torplus/attention",
		fmt.Sprintf(`{"session":%q,"path":%q,"visible_ms":1000}`, randomToken(), page))
	r.mu.Lock()
	r.reports[page] = err == nil && resp.StatusCode == http.StatusNoContent
	r.mu.Unlock()
}

func (r *crashRun) unexpected(status int) {
	r.mu.Lock()
	r.unexpects[status]++
	r.mu.Unlock()
}

// unsettled counts payments that landed on the ledger but are not credited yet.
func (r *crashRun) unsettled(t *testing.T, b harness.Books) int {
	n := 0
	for _, p := range r.payments {
		if b.Credits[p.hash] == 0 && r.st.Landed(p.hash) {
			n++
		}
	}
	return n
}

// check compares what the clients were told and what Stellar holds with
// the books.
func (r *crashRun) check(t *testing.T, b harness.Books) tally.Row {
	var row tally.Row
	sent := map[string]bool{}
	var landedStroops int64
	for _, p := range r.payments {
		sent[p.hash] = true
		landed := r.st.Landed(p.hash)
		n := b.Credits[p.hash]
		if p.acked || landed {
			row.Records++
		}
		if landed {
			landedStroops += p.stroop
		}
		switch {
		case (p.acked || landed) && n == 0:
			row.Lost++
			t.Errorf("payment %s (acknowledged %v, landed %v) is not credited", p.hash, p.acked, landed)
		case p.acked && !landed:
			row.Lost++
			t.Errorf("payment %s was acknowledged but is not on the Stellar ledger", p.hash)
		case n > 0 && !landed:
			row.Duplicated++
			t.Errorf("payment %s is credited but never landed", p.hash)
		case n > 1:
			row.Duplicated += int64(n - 1)
			t.Errorf("payment %s is credited %d times", p.hash, n)
		}
	}
	for hash := range b.Credits {
		if !sent[hash] {
			row.Duplicated++
			t.Errorf("credit for transaction %s, which no client sent", hash)
		}
	}
	for id, n := range b.CreditsPerRequest {
		if n > 1 {
			row.Duplicated += int64(n - 1)
			t.Errorf("payment request %s credited %d times", hex.EncodeToString([]byte(id)), n)
		}
	}
	if got := r.st.Received(t); got != landedStroops || got != b.CreditedStroops {
		t.Errorf("operator received %d stroops; payments that landed: %d; credited: %d", got, landedStroops, b.CreditedStroops)
	}
	for page, acked := range r.reports {
		stored := b.Reports[page]
		if acked {
			row.Records++
			if stored == 0 {
				row.Lost++
				t.Errorf("acknowledged report for %s is not stored", page)
			}
		}
		if stored > 1 {
			row.Duplicated += stored - 1
			t.Errorf("report for %s stored %d times", page, stored)
		}
	}
	for page := range b.Reports {
		if _, ok := r.reports[page]; !ok {
			row.Duplicated++
			t.Errorf("a report for %s is stored, but none was sent", page)
		}
	}
	row.Inputs = int64(len(r.payments) + len(r.reports))
	var interrupted int
	for _, p := range r.payments {
		if !p.acked && r.st.Landed(p.hash) {
			interrupted++
		}
	}
	t.Logf("%d payments landed without an answer to the client (interrupted), credited on recovery", interrupted)
	if r.acked.Load() == 0 || row.Records == 0 {
		t.Errorf("nothing was acknowledged: the test proved nothing")
	}
	return row
}

// randomToken is a new TorPlus-Session token: 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
