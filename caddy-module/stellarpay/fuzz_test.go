package stellarpay

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzVerify feeds arbitrary envelopes to Verify. It must never panic; an
// accepted envelope must really meet the expectation; a refusal must be an
// *Error that renders as JSON.
func FuzzVerify(f *testing.F) {
	good := goodTx()
	f.Add(spt.MustEnvelope(f, good))
	good.Ops = append(good.Ops, spt.Pay(operator.Address(), "TPT", issuer.Address(), "1"))
	f.Add(spt.MustEnvelope(f, good))
	good = goodTx()
	good.FeeBump = true
	f.Add(spt.MustEnvelope(f, good))
	good = goodTx()
	good.Ops = []txnbuild.Operation{spt.Pay(operator.Address(), "TPTTPTTPT", issuer.Address(), "1")}
	f.Add(spt.MustEnvelope(f, good))
	f.Add("")
	f.Add("AAAAAg==")
	exp := expected()
	f.Fuzz(func(t *testing.T, b64 string) {
		p, err := Verify(b64, exp, testNow)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("refusal %v is not an *Error", err)
			}
			if _, jerr := json.Marshal(e); jerr != nil {
				t.Fatal(jerr)
			}
			return
		}
		if p.Amount < exp.Amount || p.ID != exp.ID || p.Source() != payer.Address() || p.MaxTime.After(exp.ExpiresAt) {
			t.Fatalf("accepted a payment that does not meet the expectation: %+v", p)
		}
	})
}
