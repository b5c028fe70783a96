package sac

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// AuthPayload is what an address credential's signature signs: the
// SHA-256 of the network's HashIdPreimage SorobanAuthorization over the
// nonce, the expiration ledger and the authorized invocation. Binding the
// network id means a testnet signature can never pay on pubnet.
func AuthPayload(networkID [32]byte, c *xdr.SorobanAddressCredentials, inv xdr.SorobanAuthorizedInvocation) ([32]byte, error) {
	raw, err := inv.MarshalBinary()
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: encoding the invocation: %v", ErrSignature, err)
	}
	return AuthPayloadXDR(networkID, int64(c.Nonce), uint32(c.SignatureExpirationLedger), raw), nil
}

// AuthPayloadXDR is AuthPayload from the invocation's XDR encoding, as it
// sits in the envelope: the preimage is the envelope type, the network
// id, the nonce, the expiration ledger and the invocation, concatenated,
// so a verifier hashes the bytes it received instead of re-encoding them.
func AuthPayloadXDR(networkID [32]byte, nonce int64, expiration uint32, invocation []byte) [32]byte {
	var buf [512]byte // a transfer's preimage fits: no allocation
	b := binary.BigEndian.AppendUint32(buf[:0], uint32(xdr.EnvelopeTypeEnvelopeTypeSorobanAuthorization))
	b = append(b, networkID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(nonce))
	b = binary.BigEndian.AppendUint32(b, expiration)
	return sha256.Sum256(append(b, invocation...))
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
	raw, err := sig.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return CheckSignatureXDR(raw, payload, key)
}

// CheckSignatureXDR is CheckSignature on the signature's XDR encoding,
// read in place (a verifier has the bytes; decoding them would cost
// more than the rest of its checks).
func CheckSignatureXDR(sig []byte, payload, key [32]byte) error {
	var pub, s []byte
	shape := false
	err := xdr.TryVoid(func() {
		v := xdr.ScValView(sig)
		if v.MustType() != xdr.ScValTypeScvVec {
			return
		}
		vec, ok := v.MustVec().MustUnwrap()
		if !ok || vec.MustCount() != 1 {
			return
		}
		m0 := vec.MustAt(0)
		if m0.MustType() != xdr.ScValTypeScvMap {
			return
		}
		m, ok := m0.MustMap().MustUnwrap()
		if !ok || m.MustCount() != 2 {
			return
		}
		for i := range 2 {
			e := m.MustAt(i)
			k, val := e.MustKey(), e.MustVal()
			if k.MustType() != xdr.ScValTypeScvSymbol || val.MustType() != xdr.ScValTypeScvBytes {
				return
			}
			switch string(k.MustSym().MustValue()) {
			case string(symPublicKey):
				pub = val.MustBytes().MustValue()
			case string(symSignature):
				s = val.MustBytes().MustValue()
			}
		}
		shape = true
	})
	switch {
	case err != nil || !shape:
		return fmt.Errorf("%w: not a vector of one {public_key, signature} map", ErrSignature)
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
