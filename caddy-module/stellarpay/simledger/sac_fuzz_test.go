package simledger

import (
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// FuzzSACSubmit feeds arbitrary envelopes, seeded with signed SAC
// transfers and near misses, to Simulate and then Submit (what rpcsim's
// simulateTransaction and sendTransaction take from outside). Neither may
// panic; failures are ErrMalformed, a *Rejection or one of the Soroban
// sentinels; TPT is never created or destroyed between holders, and a
// refused or failed transaction moves none.
func FuzzSACSubmit(f *testing.F) {
	l0 := sacLedger(f)
	op, _ := sac.ParseAddress(operator.Address())
	muxed := op
	muxed.Muxed, muxed.ID = true, 5
	for _, tr := range []transfer{
		{to: op, amount: 25_000_000},
		{to: muxed, amount: 1},
		{to: op, amount: 1, signer: stranger},
		{to: op, amount: 1, expiration: 2},
		{to: op, amount: 1, tamper: func(_ *xdr.InvokeContractArgs, d *xdr.SorobanTransactionData) { d.ResourceFee = 1 }},
	} {
		env, _ := tr.build(f, l0)
		f.Add(env)
	}
	f.Fuzz(func(t *testing.T, b64 string) {
		l := sacLedger(t)
		total := func() int64 {
			var sum int64
			for _, k := range []string{payer.Address(), operator.Address(), poor.Address()} {
				b, _ := l.Balance(k, tpt)
				sum += b
			}
			return sum
		}
		before := total()
		if _, err := l.Simulate(b64); err != nil && !knownErr(err) {
			t.Fatalf("Simulate: unexpected error %v", err)
		}
		if total() != before {
			t.Fatal("a simulation moved TPT")
		}
		res, _, err := l.Submit(b64)
		if err != nil && !knownErr(err) {
			t.Fatalf("Submit: unexpected error %v", err)
		}
		if (err != nil || res == nil || !res.Successful) && total() != before {
			t.Fatalf("a refused transaction moved TPT: %d → %d", before, total())
		}
		if err == nil && total() != before {
			t.Fatalf("a transfer between holders changed the total: %d → %d", before, total())
		}
	})
}

func knownErr(err error) bool {
	var rej *Rejection
	for _, k := range []error{ErrMalformed, ErrUnsupported, ErrNoContract, ErrTrustline, ErrBalance, ErrLineFull,
		ErrAuthMissing, ErrAuthUnused, ErrAuthExpired, ErrNonceUsed, ErrFootprint, ErrResourceFee} {
		if errors.Is(err, k) {
			return true
		}
	}
	return errors.As(err, &rej)
}
