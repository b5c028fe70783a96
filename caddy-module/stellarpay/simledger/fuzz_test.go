package simledger

import (
	"errors"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzSubmit feeds arbitrary envelopes to a ledger (what horizonsim's
// POST /transactions accepts from outside). It must never panic, every
// failure must be ErrMalformed or a *Rejection, and no submission may
// create or destroy TPT between non-issuer accounts except by a payment
// from or to the issuer.
func FuzzSubmit(f *testing.F) {
	l0 := func() *Ledger {
		l, err := New(genesis(), func() time.Time { return t0 })
		if err != nil {
			f.Fatal(err)
		}
		return l
	}()
	a, _ := l0.Account(payer.Address())
	f.Add(spt.MustEnvelope(f, spt.Tx{Source: payer, Sequence: a.Sequence + 1,
		Ops: []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "2.5")}}))
	f.Add(spt.MustEnvelope(f, spt.Tx{Source: payer, Sequence: a.Sequence + 1,
		Ops: []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "2.5"), spt.Pay(stranger.Address(), "", "", "1")}}))
	f.Add(spt.MustEnvelope(f, spt.Tx{Source: payer, Sequence: a.Sequence + 1, FeeBump: true,
		Ops: []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "2.5")}}))
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, b64 string) {
		l, err := New(genesis(), func() time.Time { return t0 })
		if err != nil {
			t.Fatal(err)
		}
		total := func() int64 {
			var sum int64
			for _, k := range []string{payer.Address(), operator.Address(), poor.Address()} {
				b, _ := l.Balance(k, tpt)
				sum += b
			}
			return sum
		}
		before := total()
		_, _, err = l.Submit(b64)
		var rej *Rejection
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.As(err, &rej) {
			t.Fatalf("unexpected error %v", err)
		}
		if err != nil && total() != before {
			t.Fatalf("a refused transaction moved TPT: %d → %d", before, total())
		}
	})
}
