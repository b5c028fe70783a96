package meter

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestOutageLongerThanExpiryLosesNoMoney: the site's Horizon stops
// answering while a payment is being settled and stays unreachable past
// the request's expiry. The request must stay settling with its
// transaction hash all that time (never pending, never expired), and once
// Horizon answers again the look-up decides: credited exactly once if the
// transaction landed, released with no credit if it never did.
func TestOutageLongerThanExpiryLosesNoMoney(t *testing.T) {
	tests := []struct {
		name   string
		landed bool // the transaction reached the ledger before the outage
	}{
		{name: "transaction landed", landed: true},
		{name: "transaction never sent", landed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hz := clienttest.StartHorizon(t)
			zone := paidZone(hz.URL)
			zone["free_round"], zone["grace"], zone["throttle_rate"] = -1, "1m", 1_000_000
			zone["request_ttl"], zone["settle_timeout"] = "3s", "1s"
			s := startPaySite(t, "outage", zone)
			s.file("f.bin", 1000)
			db, err := store.OpenSQLite(context.Background(), filepath.Join(s.dir, "..", "outage.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			before := tptOf(t, hz.Ledger, payOperator.Address())

			tok := newToken()
			if status, _ := challenge(t, s, "outage", "/f.bin", tok); status != http.StatusOK {
				t.Fatalf("first fetch, in grace: %d", status)
			}
			_, pr := challenge(t, s, "outage", "/f.bin", tok)
			env := envelope(t, pr, payPayer, seqOf(t, hz.Ledger, payPayer.Address())+1, payPrice)
			if tc.landed {
				hz.SetDelay(10 * time.Second) // applied at once, answered too late
			} else if err := hz.SetUnreachable(true); err != nil {
				t.Fatal(err)
			}
			st, r, hdr := post(t, s.url("outage", DefaultPaymentEndpoint), env)
			if st != http.StatusServiceUnavailable || r.Error != stellarpay.ErrUnavailable.Code || hdr.Get("Retry-After") == "" {
				t.Fatalf("payment during the outage: %d %+v, Retry-After %q", st, r, hdr.Get("Retry-After"))
			}
			if err := hz.SetUnreachable(true); err != nil {
				t.Fatal(err)
			}
			hz.SetDelay(0)

			// Past the expiry, by more than a settlement timeout, Horizon still down.
			for time.Now().Before(pr.ExpiresAt.Add(3 * time.Second)) {
				time.Sleep(200 * time.Millisecond)
			}
			p := requestState(t, db, pr.ID)
			if p.State != store.Settling || p.TxHash == "" {
				t.Fatalf("after the expiry, Horizon down: request %s (tx %q), want settling with its hash", p.State, p.TxHash)
			}
			if err := hz.SetUnreachable(false); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second) // the worker's back-off is at most 30 s
			for p = requestState(t, db, pr.ID); p.State == store.Settling && time.Now().Before(deadline); p = requestState(t, db, pr.ID) {
				time.Sleep(200 * time.Millisecond)
			}
			credits, err := db.Credits(context.Background(), "outage", p.Session)
			if err != nil {
				t.Fatal(err)
			}
			received := tptOf(t, hz.Ledger, payOperator.Address()) - before
			switch {
			case tc.landed && (p.State != store.Paid || len(credits) != 1 || credits[0].TxHash != p.TxHash || received != payStroops):
				t.Fatalf("landed payment: request %s, credits %+v, operator received %d", p.State, credits, received)
			case !tc.landed && (p.State == store.Paid || p.State == store.Settling || len(credits) != 0 || received != 0):
				t.Fatalf("payment that never landed: request %s, credits %+v, operator received %d", p.State, credits, received)
			}
			if tc.landed && paidSessions(s.sessions("outage")) != 1 {
				t.Fatalf("the paying session was not credited: %+v", s.sessions("outage"))
			}
		})
	}
}

// requestState reads a payment request from the store's database.
func requestState(t *testing.T, db store.DB, id payreq.ID) store.PaymentRequest {
	t.Helper()
	p, err := db.PaymentRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
