package stellarpay

import (
	"encoding/base64"
	"sync"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// sacEnvelope is what VerifySAC reads of an envelope. It is read through
// the SDK's zero-copy XDR views rather than decoded whole: a SAC payment
// carries a footprint of ledger keys the verifier never needs, and
// decoding them alone costs more than the rest of the checks together.
// The invocation and the authorization are kept as the bytes received,
// so the authorization can be compared with the call and hashed without
// encoding either again.
type sacEnvelope struct {
	envType xdr.EnvelopeType
	ops     int
	opType  xdr.OperationType
	// isCall is set when the operation invokes a contract function.
	isCall bool
	// callXDR is the invocation's encoding.
	callXDR []byte
	// auths counts the authorization entries; the rest describe the first.
	auths    int
	credType xdr.SorobanCredentialsType
	// For an address credential: the address, nonce, expiration ledger
	// and the signature's encoding.
	credAddr  []byte
	nonce     int64
	expLedger uint32
	sigXDR    []byte
	rootXDR   []byte
	fnType    xdr.SorobanAuthorizedFunctionType
	fnXDR     []byte
	subs      int
	// hasData is set when the transaction carries Soroban data.
	hasData     bool
	resourceFee int64
}

// envBuffers hold decoded envelopes while VerifySAC reads them: the
// slices of a sacEnvelope point into its buffer, so the buffer goes back
// to the pool only when the verification is done with them.
var envBuffers = sync.Pool{New: func() any { b := make([]byte, MaxEnvelopeChars); return &b }}

// decodeSAC reads a base64 envelope of at most MaxEnvelopeChars into buf
// (of MaxEnvelopeChars bytes); the result's slices point into buf.
func decodeSAC(b64 string, buf []byte) (*sacEnvelope, error) {
	if len(b64) > MaxEnvelopeChars {
		return nil, fail(ErrTooLarge, "envelope has %d characters, at most %d are accepted", len(b64), MaxEnvelopeChars)
	}
	n, err := base64.StdEncoding.Decode(buf, []byte(b64))
	if err != nil {
		return nil, fail(ErrMalformed, "not a base64 XDR transaction envelope")
	}
	raw := buf[:n]
	env := xdr.TransactionEnvelopeView(raw)
	// Every field read below is bounds- and type-checked by its view; the
	// ones not read (the footprint) are checked when the settler decodes
	// the whole envelope to rebuild it. Here only trailing bytes are.
	if whole, err := env.Raw(); err != nil || len(whole) != len(raw) {
		return nil, fail(ErrMalformed, "not a base64 XDR transaction envelope")
	}
	d := &sacEnvelope{}
	if err := xdr.TryVoid(func() { d.read(env) }); err != nil {
		return nil, fail(ErrMalformed, "not a base64 XDR transaction envelope")
	}
	return d, nil
}

// read fills d from env; a malformed field panics with a *xdr.ViewError
// that decodeSAC's xdr.TryVoid turns into an error.
func (d *sacEnvelope) read(env xdr.TransactionEnvelopeView) {
	if d.envType = env.MustType(); d.envType != xdr.EnvelopeTypeEnvelopeTypeTx {
		return
	}
	tx := env.MustV1().MustTx()
	if ext := tx.MustExt(); ext.MustV() == 1 {
		d.hasData, d.resourceFee = true, ext.MustSorobanData().MustResourceFee().MustValue()
	}
	ops := tx.MustOperations()
	if d.ops = ops.MustCount(); d.ops != 1 {
		return
	}
	body := ops.MustAt(0).MustBody()
	if d.opType = body.MustType(); d.opType != xdr.OperationTypeInvokeHostFunction {
		return
	}
	ih := body.MustInvokeHostFunctionOp()
	hf := ih.MustHostFunction()
	if hf.MustType() != xdr.HostFunctionTypeHostFunctionTypeInvokeContract {
		return
	}
	d.isCall, d.callXDR = true, hf.MustInvokeContract().MustRaw()
	auth := ih.MustAuth()
	if d.auths = auth.MustCount(); d.auths == 0 {
		return
	}
	e := auth.MustAt(0)
	cred := e.MustCredentials()
	if d.credType = cred.MustType(); d.credType == xdr.SorobanCredentialsTypeSorobanCredentialsAddress {
		a := cred.MustAddress()
		d.credAddr = a.MustAddress().MustRaw()
		d.nonce, d.expLedger = a.MustNonce().MustValue(), a.MustSignatureExpirationLedger().MustValue()
		d.sigXDR = a.MustSignature().MustRaw()
	}
	root := e.MustRootInvocation()
	d.rootXDR = root.MustRaw()
	fn := root.MustFunction()
	if d.fnType = fn.MustType(); d.fnType == xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn {
		d.fnXDR = fn.MustContractFn().MustRaw()
	}
	d.subs = root.MustSubInvocations().MustCount()
}
