package txenv

import (
	"encoding/binary"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// fastDecode decodes the common shape of a payment envelope without the
// generic XDR decoder: a v1 envelope with one payment operation, no or
// time-bound preconditions, no memo or a hash memo, no extension, and one
// or more signatures. It fills env exactly as the generic decoder would
// (FuzzFastDecode checks this), except that signatures share raw's
// memory. It reports false for any other input, which the caller then
// hands to the generic decoder.
func fastDecode(raw []byte, env *xdr.TransactionEnvelope) bool {
	r := reader{b: raw}
	if r.u32() != uint32(xdr.EnvelopeTypeEnvelopeTypeTx) {
		return false
	}
	v1 := &xdr.TransactionV1Envelope{}
	tx := &v1.Tx
	var ok bool
	if tx.SourceAccount, ok = r.muxed(); !ok {
		return false
	}
	tx.Fee = xdr.Uint32(r.u32())
	tx.SeqNum = xdr.SequenceNumber(r.u64())
	switch r.u32() {
	case uint32(xdr.PreconditionTypePrecondNone):
	case uint32(xdr.PreconditionTypePrecondTime):
		tx.Cond = xdr.Preconditions{Type: xdr.PreconditionTypePrecondTime,
			TimeBounds: &xdr.TimeBounds{MinTime: xdr.TimePoint(r.u64()), MaxTime: xdr.TimePoint(r.u64())}}
	default:
		return false
	}
	switch r.u32() {
	case uint32(xdr.MemoTypeMemoNone):
	case uint32(xdr.MemoTypeMemoHash):
		h := xdr.Hash(r.bytes32())
		tx.Memo = xdr.Memo{Type: xdr.MemoTypeMemoHash, Hash: &h}
	default:
		return false
	}
	if r.u32() != 1 { // one operation
		return false
	}
	op := xdr.Operation{}
	switch r.u32() {
	case 0:
	case 1:
		src, ok := r.muxed()
		if !ok {
			return false
		}
		op.SourceAccount = &src
	default:
		return false
	}
	if r.u32() != uint32(xdr.OperationTypePayment) {
		return false
	}
	pay := &xdr.PaymentOp{}
	if pay.Destination, ok = r.muxed(); !ok {
		return false
	}
	if pay.Asset, ok = r.asset(); !ok {
		return false
	}
	pay.Amount = xdr.Int64(r.u64())
	op.Body = xdr.OperationBody{Type: xdr.OperationTypePayment, PaymentOp: pay}
	tx.Operations = []xdr.Operation{op}
	if r.u32() != 0 { // ext v0
		return false
	}
	n := r.u32()
	if n == 0 || n > 20 {
		return false
	}
	v1.Signatures = make([]xdr.DecoratedSignature, n)
	for i := range v1.Signatures {
		v1.Signatures[i].Hint = xdr.SignatureHint(r.hint())
		l := r.u32()
		if l == 0 || l > 64 {
			return false
		}
		v1.Signatures[i].Signature = r.padded(int(l))
	}
	if r.bad || r.i != len(raw) {
		return false
	}
	*env = xdr.TransactionEnvelope{Type: xdr.EnvelopeTypeEnvelopeTypeTx, V1: v1}
	return true
}

// reader reads big-endian XDR items; past the end, or on nonzero
// padding, it sets bad and returns zeros.
type reader struct {
	b   []byte
	i   int
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n > len(r.b)-r.i {
		r.bad = true
		return make([]byte, n)
	}
	s := r.b[r.i : r.i+n : r.i+n]
	r.i += n
	return s
}

func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }

func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }

func (r *reader) bytes32() [32]byte { return [32]byte(r.take(32)) }

func (r *reader) hint() [4]byte { return [4]byte(r.take(4)) }

// padded reads an opaque of length l and its zero padding.
func (r *reader) padded(l int) []byte {
	s := r.take(l)
	for _, p := range r.take((4 - l%4) % 4) {
		if p != 0 {
			r.bad = true
		}
	}
	return s
}

func (r *reader) muxed() (xdr.MuxedAccount, bool) {
	switch r.u32() {
	case uint32(xdr.CryptoKeyTypeKeyTypeEd25519):
		k := xdr.Uint256(r.bytes32())
		return xdr.MuxedAccount{Type: xdr.CryptoKeyTypeKeyTypeEd25519, Ed25519: &k}, true
	case uint32(xdr.CryptoKeyTypeKeyTypeMuxedEd25519):
		m := &xdr.MuxedAccountMed25519{Id: xdr.Uint64(r.u64()), Ed25519: xdr.Uint256(r.bytes32())}
		return xdr.MuxedAccount{Type: xdr.CryptoKeyTypeKeyTypeMuxedEd25519, Med25519: m}, true
	}
	return xdr.MuxedAccount{}, false
}

func (r *reader) accountID() (xdr.AccountId, bool) {
	if r.u32() != uint32(xdr.PublicKeyTypePublicKeyTypeEd25519) {
		return xdr.AccountId{}, false
	}
	k := xdr.Uint256(r.bytes32())
	return xdr.AccountId{Type: xdr.PublicKeyTypePublicKeyTypeEd25519, Ed25519: &k}, true
}

func (r *reader) asset() (xdr.Asset, bool) {
	switch r.u32() {
	case uint32(xdr.AssetTypeAssetTypeNative):
		return xdr.Asset{Type: xdr.AssetTypeAssetTypeNative}, true
	case uint32(xdr.AssetTypeAssetTypeCreditAlphanum4):
		a := &xdr.AlphaNum4{AssetCode: xdr.AssetCode4(r.take(4))}
		id, ok := r.accountID()
		a.Issuer = id
		return xdr.Asset{Type: xdr.AssetTypeAssetTypeCreditAlphanum4, AlphaNum4: a}, ok
	case uint32(xdr.AssetTypeAssetTypeCreditAlphanum12):
		a := &xdr.AlphaNum12{AssetCode: xdr.AssetCode12(r.take(12))}
		id, ok := r.accountID()
		a.Issuer = id
		return xdr.Asset{Type: xdr.AssetTypeAssetTypeCreditAlphanum12, AlphaNum12: a}, ok
	}
	return xdr.Asset{}, false
}
