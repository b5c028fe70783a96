package stellarpay

import (
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// withSignatures returns the envelope of tx with n forged signatures put
// in front of its own: each carries the hint of signer's key, so a verifier
// that tries every matching signature makes n+1 ed25519 checks.
func withSignatures(t *testing.T, tx spt.Tx, signer *keypair.Full, n int) string {
	t.Helper()
	var env xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(spt.MustEnvelope(t, tx), &env); err != nil {
		t.Fatal(err)
	}
	hint := signer.Hint()
	forged := make([]xdr.DecoratedSignature, 0, n+len(env.V1.Signatures))
	for i := range n {
		sig := make([]byte, 64)
		sig[0] = byte(i + 1)
		forged = append(forged, xdr.DecoratedSignature{Hint: xdr.SignatureHint(hint), Signature: sig})
	}
	env.V1.Signatures = append(forged, env.V1.Signatures...)
	s, err := xdr.MarshalBase64(env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

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
			b64 := withSignatures(t, tx, payer, tc.forged)
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
