package stellarpay

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/horizonsim"
)

var tpt = simledger.Asset{Code: "TPT", Issuer: issuer.Address()}

func testGenesis() simledger.Genesis {
	return simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: operator.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt}}},
		{Address: payer.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "4"}}},
	}}
}

// verified builds a payment of amt TPT for expected() with sequence seq,
// verified against the real clock.
func verified(t *testing.T, seq int64, amt string) *Payment {
	t.Helper()
	tx := goodTx()
	tx.Sequence = seq
	tx.Ops[0].(*txnbuild.Payment).Amount = amt
	tx.TimeBounds = txnbuild.NewTimeout(300)
	exp := expected()
	exp.ExpiresAt = time.Now().Add(10 * time.Minute)
	p, err := Verify(spt.MustEnvelope(t, tx), exp, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func accountSeq(t *testing.T, l *simledger.Ledger) int64 {
	t.Helper()
	a, err := l.Account(payer.Address())
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}

func TestOfflineSettler(t *testing.T) {
	o, err := NewOfflineSettler(testGenesis())
	if err != nil {
		t.Fatal(err)
	}
	seq := accountSeq(t, o.Ledger)
	p := verified(t, seq+1, "2.5")
	r, err := o.Settle(context.Background(), p)
	if err != nil || r.Hash != p.HashHex() || r.AlreadyApplied {
		t.Fatalf("Settle = %+v, %v", r, err)
	}
	if r, err = o.Settle(context.Background(), p); err != nil || !r.AlreadyApplied {
		t.Fatalf("second Settle = %+v, %v; want AlreadyApplied", r, err)
	}
	if got, _ := o.Ledger.Balance(operator.Address(), tpt); got != 25_000_000 {
		t.Fatalf("operator holds %d, want one payment", got)
	}
	_, err = o.Settle(context.Background(), verified(t, seq+2, "3"))
	if !errors.Is(err, ErrRejected) || !errors.Is(err, ErrUnderfunded) {
		t.Fatalf("overspending: %v", err)
	}
	_, err = o.Settle(context.Background(), verified(t, seq+5, "2.5"))
	if !errors.Is(err, ErrBadSequence) {
		t.Fatalf("bad seq: %v", err)
	}
}

// horizonSetup runs horizonsim and a HorizonSettler whose waits are
// replaced by hook (called between attempts) and whose requests time out
// after 300ms.
func horizonSetup(t *testing.T, hook func(attempt int)) (*horizonsim.Server, *HorizonSettler) {
	t.Helper()
	l, err := simledger.New(testGenesis(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := horizonsim.Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := NewHorizonSettler(s.URL, 300*time.Millisecond)
	h.Backoff = Backoff{Attempts: 4}
	attempt := 0
	h.Sleep = func(ctx context.Context, d time.Duration) error {
		attempt++
		if hook != nil {
			hook(attempt)
		}
		return ctx.Err()
	}
	return s, h
}

func TestHorizonSettler(t *testing.T) {
	tests := []struct {
		name        string
		before      func(s *horizonsim.Server)
		hook        func(s *horizonsim.Server, attempt int)
		seqOffset   int64
		amount      string
		want        error
		submissions int64
		credited    int64
	}{
		{name: "success", submissions: 1, credited: 25_000_000},
		{name: "bad seq is definite", seqOffset: 3, want: ErrBadSequence, submissions: 1},
		{name: "underfunded is definite", amount: "5", want: ErrUnderfunded, submissions: 1},
		{name: "5xx then recovers", submissions: 2, credited: 25_000_000,
			before: func(s *horizonsim.Server) { s.SetFailStatus(http.StatusInternalServerError) },
			hook:   func(s *horizonsim.Server, _ int) { s.SetFailStatus(0) }},
		{name: "504 throughout", want: ErrUnavailable, submissions: 4,
			before: func(s *horizonsim.Server) { s.SetFailStatus(http.StatusGatewayTimeout) }},
		{name: "unreachable throughout", want: ErrUnavailable, submissions: 0,
			before: func(s *horizonsim.Server) { s.SetUnreachable(true) }},
		{name: "unreachable then back", submissions: 1, credited: 25_000_000,
			before: func(s *horizonsim.Server) { s.SetUnreachable(true) },
			hook: func(s *horizonsim.Server, attempt int) {
				if attempt == 2 {
					s.SetUnreachable(false)
				}
			}},
		{name: "times out but lands", submissions: 1, credited: 25_000_000,
			before: func(s *horizonsim.Server) { s.SetDelay(2 * time.Second) },
			hook:   func(s *horizonsim.Server, _ int) { s.SetDelay(0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srv *horizonsim.Server
			srv, h := horizonSetup(t, func(attempt int) {
				if tc.hook != nil {
					tc.hook(srv, attempt)
				}
			})
			amt := tc.amount
			if amt == "" {
				amt = "2.5"
			}
			p := verified(t, accountSeq(t, srv.Ledger)+1+tc.seqOffset, amt)
			if tc.before != nil {
				tc.before(srv)
			}
			r, err := h.Settle(context.Background(), p)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Settle = %+v, %v; want %v", r, err, tc.want)
			}
			if tc.want == nil && (err != nil || r.Hash != p.HashHex()) {
				t.Fatalf("Settle = %+v, %v", r, err)
			}
			if n := srv.Submissions(); n != tc.submissions {
				t.Fatalf("%d submissions, want %d", n, tc.submissions)
			}
			if got, _ := srv.Ledger.Balance(operator.Address(), tpt); got != tc.credited {
				t.Fatalf("operator holds %d, want %d", got, tc.credited)
			}
		})
	}
}
