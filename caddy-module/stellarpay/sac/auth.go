package sac

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// AuthPayload is what an address credential's signature signs: the
// SHA-256 of the network's HashIdPreimage SorobanAuthorization over the
// nonce, the expiration ledger and the authorized invocation. Binding the
// network id means a testnet signature can never pay on pubnet.
func AuthPayload(networkID [32]byte, c *xdr.SorobanAddressCredentials, inv xdr.SorobanAuthorizedInvocation) ([32]byte, error) {
	pre := xdr.HashIdPreimage{
		Type: xdr.EnvelopeTypeEnvelopeTypeSorobanAuthorization,
		SorobanAuthorization: &xdr.HashIdPreimageSorobanAuthorization{
			NetworkId:                 xdr.Hash(networkID),
			Nonce:                     c.Nonce,
			SignatureExpirationLedger: c.SignatureExpirationLedger,
			Invocation:                inv,
		},
	}
	raw, err := pre.MarshalBinary()
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: encoding the preimage: %v", ErrSignature, err)
	}
	return sha256.Sum256(raw), nil
}

// Signature keys of an account's signature map, as the host reads them.
var (
	symPublicKey = xdr.ScSymbol("public_key")
	symSignature = xdr.ScSymbol("signature")
)

// CheckSignature checks an account's credential signature: a vector of
// exactly one {public_key, signature} map whose key is the account's own
// (this package knows master keys only, no multisig) and whose ed25519
// signature over payload is valid.
func CheckSignature(sig xdr.ScVal, payload, key [32]byte) error {
	vec, ok := sig.GetVec()
	if !ok || vec == nil || len(*vec) != 1 {
		return fmt.Errorf("%w: a vector of one signature is expected, got %s", ErrSignature, sig.Type)
	}
	m, ok := (*vec)[0].GetMap()
	if !ok || m == nil || len(*m) != 2 {
		return fmt.Errorf("%w: the signature is not a {public_key, signature} map", ErrSignature)
	}
	var pub, s []byte
	for _, e := range *m {
		sym, ok1 := e.Key.GetSym()
		b, ok2 := e.Val.GetBytes()
		switch {
		case !ok1 || !ok2:
			return fmt.Errorf("%w: the signature map holds %s: %s", ErrSignature, e.Key.Type, e.Val.Type)
		case sym == symPublicKey:
			pub = b
		case sym == symSignature:
			s = b
		}
	}
	switch {
	case len(pub) != ed25519.PublicKeySize || !bytes.Equal(pub, key[:]):
		return fmt.Errorf("%w: signed by another key", ErrSignature)
	case len(s) != ed25519.SignatureSize || !ed25519.Verify(pub, payload[:], s):
		return fmt.Errorf("%w: the signature does not verify", ErrSignature)
	}
	return nil
}

// Sign fills an address credential's expiration ledger and signature with
// kp's, as a wallet (or the JavaScript SDK's authorizeEntry) does.
func Sign(entry *xdr.SorobanAuthorizationEntry, kp *keypair.Full, expiration uint32, networkID [32]byte) error {
	c := entry.Credentials.Address
	if entry.Credentials.Type != xdr.SorobanCredentialsTypeSorobanCredentialsAddress || c == nil {
		return fmt.Errorf("%w: only address credentials are signed", ErrSignature)
	}
	c.SignatureExpirationLedger = xdr.Uint32(expiration)
	payload, err := AuthPayload(networkID, c, entry.RootInvocation)
	if err != nil {
		return err
	}
	s, err := kp.Sign(payload[:])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	raw := keyBytes(kp)
	pub := xdr.ScBytes(raw[:])
	sb := xdr.ScBytes(s)
	m := xdr.ScMap{
		{Key: xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &symPublicKey}, Val: xdr.ScVal{Type: xdr.ScValTypeScvBytes, Bytes: &pub}},
		{Key: xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &symSignature}, Val: xdr.ScVal{Type: xdr.ScValTypeScvBytes, Bytes: &sb}},
	}
	mp := &m
	vec := xdr.ScVec{{Type: xdr.ScValTypeScvMap, Map: &mp}}
	vp := &vec
	c.Signature = xdr.ScVal{Type: xdr.ScValTypeScvVec, Vec: &vp}
	return nil
}

func keyBytes(kp *keypair.Full) [32]byte {
	a, _ := ParseAddress(kp.Address())
	return a.Key
}
