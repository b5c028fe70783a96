package stellarpay

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzVerifySAC feeds the SAC invocation and authorization-entry decoder
// arbitrary envelopes (seeded with valid payments and near misses). It
// must never panic; a refusal is one of our kinds; an acceptance pays at
// least the amount asked, and survives a second verification unchanged.
func FuzzVerifySAC(f *testing.F) {
	l, err := simledger.New(sacGenesis(spt.Passphrase), nil)
	if err != nil {
		f.Fatal(err)
	}
	lt := LedgerTime{Ledger: l.Number(), Now: testNow}
	for _, tx := range []sacTx{
		{amount: 25_000_000},
		{amount: 25_000_000, muxedID: 3},
		{amount: 1},
		{amount: 25_000_000, signer: stranger},
		{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) { op.Auth = append(op.Auth, op.Auth...) }},
	} {
		raw, _ := base64.StdEncoding.DecodeString(tx.envelope(f, l))
		f.Add(raw)
	}
	f.Add([]byte{0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, raw []byte) {
		b64 := base64.StdEncoding.EncodeToString(raw)
		// How settlement finds a payment's request: never a panic, a
		// refusal of our kinds, and a transfer whenever VerifySAC accepts.
		tr, isSAC, rerr := ReadSACTransfer(b64)
		var re *Error
		if rerr != nil && (!errors.As(rerr, &re) || re.Kind == nil) {
			t.Fatalf("ReadSACTransfer refusal %T %v is not an *Error", rerr, rerr)
		}
		p, err := VerifySAC(b64, expected(), lt)
		if err == nil && (!isSAC || rerr != nil || tr.Amount != int64(p.Amount)) {
			t.Fatalf("VerifySAC accepted what ReadSACTransfer reads as %+v, %v, %v", tr, isSAC, rerr)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == nil {
				t.Fatalf("refusal %T %v is not an *Error", err, err)
			}
			return
		}
		if p.Amount < expected().Amount || p.MaxTime.After(testNow.Add(10*time.Minute)) {
			t.Fatalf("accepted %+v", p)
		}
		again, err := VerifySAC(b64, expected(), lt)
		if err != nil || again.Hash != p.Hash {
			t.Fatalf("second verification: %v", err)
		}
	})
}
