package stellarpay

import (
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// TestVerifyChecksAtMostTheRequiredSignatures: an envelope's signature
// count, and the networks it may be signed for, do not multiply the
// ed25519 checks: one per required signer, on the request's network only.
func TestVerifyChecksAtMostTheRequiredSignatures(t *testing.T) {
	opSource := func(tx *spt.Tx) {
		tx.Ops[0].(*txnbuild.Payment).SourceAccount = stranger.Address()
		tx.Signers = []*keypair.Full{payer, stranger}
	}
	tests := []struct {
		name     string
		edit     func(*spt.Tx)
		forged   int // forged signatures with the source's hint, put first
		required uint64
		want     error
	}{
		{name: "one honest signature", required: 1},
		{name: "20 forged signatures", forged: 19, required: 1, want: ErrBadSignature},
		{name: "20 signatures, other network", edit: func(tx *spt.Tx) { tx.Passphrase = network.PublicNetworkPassphrase }, forged: 19, required: 1, want: ErrBadSignature},
		{name: "operation source signs too", edit: opSource, required: 2},
		{name: "operation source, 20 forged", edit: opSource, forged: 18, required: 1, want: ErrBadSignature}, // the first signer fails: no second check
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := goodTx()
			if tc.edit != nil {
				tc.edit(&tx)
			}
			b64 := spt.WithForgedSignatures(t, spt.MustEnvelope(t, tx), payer, tc.forged)
			before := SignatureChecks()
			_, err := Verify(b64, expected(), testNow)
			checks := SignatureChecks() - before
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if checks > tc.required {
				t.Fatalf("%d ed25519 checks for %d signatures, want at most %d", checks, tc.forged+len(tx.Signers), tc.required)
			}
		})
	}
}
