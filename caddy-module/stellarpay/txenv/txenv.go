// Package txenv decodes a Stellar transaction envelope once and keeps its raw
// bytes, so that the transaction hash and the signatures can be checked
// without encoding the XDR again.
//
// A v1 envelope is the discriminant ENVELOPE_TYPE_TX, the Transaction and the
// signatures. The signature payload a signer signs is
// SHA-256(network id ‖ ENVELOPE_TYPE_TX ‖ Transaction), which is the network
// id followed by the envelope's own bytes up to where the signatures start.
// Hashing that slice costs one SHA-256 over a few hundred bytes and no
// allocation.
package txenv

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// Errors returned by Decode and Envelope.Hash.
var (
	// ErrTooLarge means the base64 envelope is longer than the caller allows.
	ErrTooLarge = errors.New("txenv: envelope too large")
	// ErrMalformed means the input is not base64 of exactly one TransactionEnvelope.
	ErrMalformed = errors.New("txenv: malformed envelope")
	// ErrNotV1 means the envelope is a v0 or fee-bump envelope.
	ErrNotV1 = errors.New("txenv: not a v1 transaction envelope")
)

// decoders reuses XDR decoders (a reader and its decoder) across calls.
var decoders = sync.Pool{New: func() any { return xdr.NewBytesDecoder() }}

// Envelope is a decoded transaction envelope with its raw XDR bytes.
type Envelope struct {
	// XDR is the decoded envelope.
	XDR xdr.TransactionEnvelope
	// Raw is the envelope's XDR encoding, exactly as received.
	Raw []byte
	// txEnd is the offset in Raw where the v1 signature array starts.
	txEnd int
}

// Decode parses a base64 (standard alphabet, padded) transaction envelope of
// at most maxLen characters. It fails with ErrTooLarge, or with ErrMalformed
// when the text is not base64 or the bytes are not exactly one envelope.
func Decode(b64 string, maxLen int) (*Envelope, error) {
	if len(b64) > maxLen {
		return nil, fmt.Errorf("%w: %d characters, at most %d", ErrTooLarge, len(b64), maxLen)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrMalformed, err)
	}
	e := &Envelope{Raw: raw}
	if fastDecode(raw, &e.XDR) {
		e.txEnd = signaturesStart(e)
		return e, nil
	}
	d := decoders.Get().(*xdr.BytesDecoder)
	n, err := d.DecodeBytes(&e.XDR, raw)
	decoders.Put(d)
	if err != nil {
		return nil, fmt.Errorf("%w: xdr: %v", ErrMalformed, err)
	}
	if n != len(raw) {
		return nil, fmt.Errorf("%w: %d bytes after the envelope", ErrMalformed, len(raw)-n)
	}
	if e.XDR.Type == xdr.EnvelopeTypeEnvelopeTypeTx && e.XDR.V1 != nil {
		e.txEnd = signaturesStart(e)
		if e.txEnd < 4 || binary.BigEndian.Uint32(raw[e.txEnd:]) != uint32(len(e.XDR.V1.Signatures)) {
			return nil, fmt.Errorf("%w: signature array not where expected", ErrMalformed)
		}
	}
	return e, nil
}

// signaturesStart returns the offset of a v1 envelope's signature array:
// the raw bytes end with the count and the signatures.
func signaturesStart(e *Envelope) int {
	n := 4
	for _, s := range e.XDR.V1.Signatures {
		n += 4 + 4 + (len(s.Signature)+3)&^3
	}
	return len(e.Raw) - n
}

// V1 returns the v1 envelope, or ErrNotV1 for v0 and fee-bump envelopes.
func (e *Envelope) V1() (*xdr.TransactionV1Envelope, error) {
	if e.XDR.Type != xdr.EnvelopeTypeEnvelopeTypeTx || e.XDR.V1 == nil {
		return nil, fmt.Errorf("%w: envelope type %s", ErrNotV1, e.XDR.Type)
	}
	return e.XDR.V1, nil
}

// NetworkID returns the network id (SHA-256 of the passphrase) that
// signature payloads start with.
func NetworkID(passphrase string) [32]byte { return network.ID(passphrase) }

// Hash returns the transaction hash under the given network id: the value
// the source account signs and the id Horizon knows the transaction by.
// Only v1 envelopes are hashed from their raw bytes; others fail with ErrNotV1.
func (e *Envelope) Hash(networkID [32]byte) ([32]byte, error) {
	if _, err := e.V1(); err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	h.Write(networkID[:])
	h.Write(e.Raw[:e.txEnd])
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// SignedBy reports whether one of the envelope's signatures is a valid
// ed25519 signature of hash by key. Only signatures whose hint matches the
// key's last four bytes are tried, as stellar-core does.
func (e *Envelope) SignedBy(hash, key [32]byte) bool {
	v1, err := e.V1()
	if err != nil {
		return false
	}
	for _, s := range v1.Signatures {
		if SignatureValid(s, hash, key) {
			return true
		}
	}
	return false
}

// SignatureValid reports whether s is key's ed25519 signature of hash. A
// signature whose hint is not the key's last four bytes is not tried.
func SignatureValid(s xdr.DecoratedSignature, hash, key [32]byte) bool {
	return [4]byte(s.Hint) == [4]byte(key[28:]) && len(s.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(key[:], hash[:], s.Signature)
}

// AccountKey returns the ed25519 key behind a (possibly muxed) account.
// ok is false for key types other than ed25519.
func AccountKey(m xdr.MuxedAccount) (key [32]byte, ok bool) {
	switch m.Type {
	case xdr.CryptoKeyTypeKeyTypeEd25519:
		if m.Ed25519 != nil {
			return *m.Ed25519, true
		}
	case xdr.CryptoKeyTypeKeyTypeMuxedEd25519:
		if m.Med25519 != nil {
			return m.Med25519.Ed25519, true
		}
	}
	return key, false
}

// IssuerKey returns the ed25519 key of an account id (an asset issuer).
func IssuerKey(a xdr.AccountId) (key [32]byte, ok bool) {
	if a.Type != xdr.PublicKeyTypePublicKeyTypeEd25519 || a.Ed25519 == nil {
		return key, false
	}
	return *a.Ed25519, true
}
