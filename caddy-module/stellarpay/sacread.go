package stellarpay

import (
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// ReadSACTransfer reads, without verifying anything, the transfer a SAC
// payment envelope asks for: how a payment's request is found (the
// transfer's muxed destination) before VerifySAC checks it against that
// request. ok is false for an envelope that is not one contract call (a
// classic payment); err is a refusal for a contract call that is not a
// transfer, or an envelope that does not decode.
func ReadSACTransfer(b64 string) (t sac.Transfer, ok bool, err error) {
	bp := envBuffers.Get().(*[]byte)
	defer envBuffers.Put(bp)
	d, err := decodeSAC(b64, *bp)
	if err != nil {
		return t, false, err
	}
	if d.envType != xdr.EnvelopeTypeEnvelopeTypeTx || d.ops != 1 || d.opType != xdr.OperationTypeInvokeHostFunction {
		return t, false, nil
	}
	if !d.isCall {
		return t, true, fail(ErrNotPayment, "operation is %s, a contract call of transfer is expected", d.opType)
	}
	if t, err = sac.ParseTransferXDR(d.callXDR); err != nil {
		return t, true, fail(ErrNotPayment, "not a SAC transfer: %v", err)
	}
	return t, true, nil
}
