package sac

import (
	"crypto/sha256"
	"testing"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// TestAuthPayloadXDR pins the concatenated preimage to the SDK's own
// encoding of HashIdPreimage: the two must never drift.
func TestAuthPayloadXDR(t *testing.T) {
	call := Transfer{Contract: [32]byte{7}, From: Account([32]byte{1}), To: Account([32]byte{2}), Amount: 5}.Args()
	inv := xdr.SorobanAuthorizedInvocation{Function: xdr.SorobanAuthorizedFunction{
		Type: xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn, ContractFn: &call}}
	nid := [32]byte{9, 9}
	pre := xdr.HashIdPreimage{Type: xdr.EnvelopeTypeEnvelopeTypeSorobanAuthorization,
		SorobanAuthorization: &xdr.HashIdPreimageSorobanAuthorization{NetworkId: nid, Nonce: -3, SignatureExpirationLedger: 77, Invocation: inv}}
	raw, err := pre.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := xdr.Hash(sha256Sum(raw))
	got, err := AuthPayload(nid, &xdr.SorobanAddressCredentials{Nonce: -3, SignatureExpirationLedger: 77}, inv)
	if err != nil || xdr.Hash(got) != want {
		t.Fatalf("AuthPayload = %x, %v; want %x", got, err, want)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
