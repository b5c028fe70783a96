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
	h      *harness.Hoster
	st     *harness.Stellar
	pg     *pgtest.Server
	site   harness.Site
	pages  int64
	target int64 // payments to acknowledge
	faults int

	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	wg     sync.WaitGroup

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
	run := startPayers(t, driver, "")
	run.inject(t, harness.Size(3, 25), func(int) error {
		run.h.Kill()
		time.Sleep(time.Duration(mathrand.IntN(300)) * time.Millisecond)
		return run.h.TryStart(time.Minute)
	})
	row := run.finish(t)
	row.Faults += 2 // and the two kills of finish
	row.Crashes = row.Faults
	tally.Record(t, row)
}

// startPayers starts a hoster on a ledger of driver (in dir for SQLite,
// if set) with metering and attention, and the paying workers.
func startPayers(t *testing.T, driver, dir string) *crashRun {
	payments, workers := harness.Size(200, 1000), harness.Size(8, 16)
	st := harness.StartStellar(t, workers)
	run := &crashRun{st: st, target: int64(payments), pages: int64(payments) * 2, reports: map[string]bool{},
		unexpects: map[int]int{}, stop: make(chan struct{})}
	run.site = harness.Site{
		Root: harness.SiteFiles(t, roundBytes, int(run.pages)),
		Torplus: append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", roundBytes), "grace off",
			"settle_timeout 10s", "flush_interval 100ms"),
		Attention: []string{"rate 100000 100000"},
	}
	if driver == "postgres" {
		run.pg = pgtest.Start(t)
		run.site.Store = "postgres " + run.pg.DSN
	}
	run.h = harness.NewHoster(t, func(h *harness.Hoster) string {
		if driver == "sqlite" {
			if dir == "" {
				dir = h.Dir
			}
			run.site.Store = "sqlite " + filepath.Join(dir, "store.db")
		}
		return run.site.Caddyfile(h)
	})
	run.h.Start()
	run.ctx, run.cancel = context.WithTimeout(context.Background(), time.Duration(harness.Size(3, 10))*time.Minute)
	t.Cleanup(run.cancel)
	for i := range workers {
		run.wg.Add(1)
		go func() { defer run.wg.Done(); run.worker(run.ctx, run.stop, i) }()
	}
	return run
}

// inject runs fault n times at random moments while payments settle, then
// lets the payers reach their count and stops them.
func (r *crashRun) inject(t *testing.T, n int, fault func(i int) error) {
	t.Helper()
	for r.faults < n && r.ctx.Err() == nil {
		time.Sleep(time.Duration(300+mathrand.IntN(1200)) * time.Millisecond)
		if err := fault(r.faults); err != nil {
			close(r.stop)
			r.wg.Wait()
			t.Fatalf("fault %d: %v\n%s", r.faults+1, err, r.h.Tail(30))
		}
		r.faults++
	}
	for r.acked.Load() < r.target && r.ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	close(r.stop)
	r.wg.Wait()
	if r.ctx.Err() != nil {
		t.Fatalf("timed out: %d of %d payments acknowledged after %d faults", r.acked.Load(), r.target, r.faults)
	}
}

// finish kills the hoster, starts it again (which finishes interrupted
// settlements), kills it again, and checks the books.
func (r *crashRun) finish(t *testing.T) tally.Row {
	r.h.Kill()
	r.h.Start()
	deadline := time.Now().Add(time.Minute)
	for r.unsettled(t, harness.ReadBooks(t, r.site.Store)) > 0 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	r.h.Kill()
	row := r.check(t, harness.ReadBooks(t, r.site.Store))
	row.Faults = int64(r.faults)
	t.Logf("%d payments sent, %d acknowledged; %d reports sent; unexpected statuses %v",
		len(r.payments), r.acked.Load(), len(r.reports), r.unexpects)
	return row
}

// worker is one payer on its own circuit and session: it fetches /f.bin,
// pays each 402, and sends an attention report per payment (as the meter's
// identity: its token), until stop.
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
			o, err := harness.OfferOf(resp)
			if err != nil {
				r.unexpected(-1)
				continue
			}
			r.pay(ctx, c, payer, o, n%2 == 0)
			r.report(ctx, c) // in the paid round: the meter lets it through
		default:
			r.unexpected(resp.StatusCode)
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// pay pays pr through the callback or, with viaAuth, by fetching /f.bin
// again with the credential, and records whether it was acknowledged.
func (r *crashRun) pay(ctx context.Context, c *harness.Client, payer *keypair.Full, o harness.Offer, viaAuth bool) {
	pr := o.Request
	env, hash, err := r.st.Pay(payer, pr)
	if err != nil {
		r.unexpected(-2)
		return
	}
	stroops := int64(pr.Amount)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	acked := false
	if viaAuth {
		resp, err := c.Get(rctx, "/f.bin", http.Header{"Authorization": {o.Credential(env)}})
		// Acknowledged is a Payment-Receipt: a refused credential may still
		// be served from what the session has left, without one.
		acked = err == nil && resp.StatusCode == http.StatusOK && len(resp.Body) == roundBytes &&
			resp.Header.Get("Payment-Receipt") != ""
		if err == nil && resp.StatusCode >= 500 {
			r.unexpected(1000 + resp.StatusCode)
		}
	} else {
		resp, err := c.PostForm(rctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
		var rc struct {
			Status string `json:"status"`
			TxHash string `json:"tx_hash"`
		}
		acked = err == nil && resp.StatusCode == http.StatusOK && json.Unmarshal(resp.Body, &rc) == nil &&
			rc.Status == "paid" && rc.TxHash == hash
		if err == nil && resp.StatusCode >= 500 {
			r.unexpected(1000 + resp.StatusCode) // 1xxx: the payment endpoint
		}
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
		fmt.Sprintf(`{"path":%q,"visible_ms":1000}`, page))
	if err == nil && resp.StatusCode >= 500 {
		r.unexpected(2000 + resp.StatusCode) // 2xxx: the attention endpoint
	}
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
	// A payment refused before it reached Stellar is sent again as the
	// same envelope (same request, same sequence number): one per hash.
	byHash := map[string]sentPayment{}
	var order []string
	for _, p := range r.payments {
		q, seen := byHash[p.hash]
		if !seen {
			order = append(order, p.hash)
			q = p
		}
		q.acked = q.acked || p.acked
		byHash[p.hash] = q
	}
	for _, hash := range order {
		p := byHash[hash]
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
	for _, p := range byHash {
		if !p.acked && r.st.Landed(p.hash) {
			interrupted++
		}
	}
	t.Logf("%d distinct payments; %d landed without a 2xx to the client, credited afterwards", len(byHash), interrupted)
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
