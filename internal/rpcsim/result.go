package rpcsim

import (
	"crypto/sha256"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/resultcode"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// txResult renders a transaction's result as the network does; ops are
// the transaction's operations (nil for a refusal without them).
func txResult(fee int64, codes simledger.Codes, ops []xdr.Operation) xdr.TransactionResult {
	code, ok := resultcode.TxCode(codes.Tx)
	if !ok {
		code = xdr.TransactionResultCodeTxInternalError
	}
	r := xdr.TransactionResult{FeeCharged: xdr.Int64(fee), Result: xdr.TransactionResultResult{Code: code}}
	if code != xdr.TransactionResultCodeTxSuccess && code != xdr.TransactionResultCodeTxFailed {
		return r
	}
	results := make([]xdr.OperationResult, 0, len(ops))
	for i, op := range ops {
		c := "op_success"
		if i < len(codes.Ops) {
			c = codes.Ops[i]
		}
		results = append(results, opResult(op.Body.Type, c))
	}
	r.Result.Results = &results
	return r
}

func opResult(t xdr.OperationType, code string) xdr.OperationResult {
	tr := xdr.OperationResultTr{Type: t}
	switch t {
	case xdr.OperationTypePayment:
		c, ok := resultcode.PaymentCode(code)
		if !ok {
			c = xdr.PaymentResultCodePaymentMalformed
		}
		tr.PaymentResult = &xdr.PaymentResult{Code: c}
	case xdr.OperationTypeInvokeHostFunction:
		res := &xdr.InvokeHostFunctionResult{Code: xdr.InvokeHostFunctionResultCodeInvokeHostFunctionTrapped}
		if code == "op_success" {
			h := xdr.Hash(sha256.Sum256([]byte(code)))
			res.Code, res.Success = xdr.InvokeHostFunctionResultCodeInvokeHostFunctionSuccess, &h
		}
		tr.InvokeHostFunctionResult = res
	case xdr.OperationTypeCreateAccount:
		c := xdr.CreateAccountResultCodeCreateAccountSuccess
		if code != "op_success" {
			c = xdr.CreateAccountResultCodeCreateAccountMalformed
		}
		tr.CreateAccountResult = &xdr.CreateAccountResult{Code: c}
	case xdr.OperationTypeChangeTrust:
		c := xdr.ChangeTrustResultCodeChangeTrustSuccess
		if code != "op_success" {
			c = xdr.ChangeTrustResultCodeChangeTrustMalformed
		}
		tr.ChangeTrustResult = &xdr.ChangeTrustResult{Code: c}
	default:
		return xdr.OperationResult{Code: xdr.OperationResultCodeOpNotSupported}
	}
	return xdr.OperationResult{Code: xdr.OperationResultCodeOpInner, Tr: &tr}
}

// details renders an included transaction for getTransaction: envelope,
// result, a v4 meta holding the events and the return value, and the
// events per operation.
func details(tx *simledger.TxResult) protocol.TransactionDetails {
	d := protocol.TransactionDetails{Status: protocol.TransactionStatusSuccess, TransactionHash: tx.Hash,
		ApplicationOrder: int32(tx.Index), EnvelopeXDR: tx.Envelope, Ledger: tx.Ledger}
	if !tx.Successful {
		d.Status = protocol.TransactionStatusFailed
	}
	var env xdr.TransactionEnvelope
	_ = xdr.SafeUnmarshalBase64(tx.Envelope, &env)
	ops := env.Operations()
	d.ResultXDR, _ = xdr.MarshalBase64(txResult(tx.FeeCharged, tx.Codes, ops))
	meta := xdr.TransactionMetaV4{Operations: make([]xdr.OperationMetaV2, len(ops))}
	d.Events.ContractEventsXDR = make([][]string, len(ops))
	for _, e := range tx.Events {
		if int(e.OpIndex) >= len(ops) {
			continue
		}
		ce := e.Event.ContractEvent()
		meta.Operations[e.OpIndex].Events = append(meta.Operations[e.OpIndex].Events, ce)
		b, _ := xdr.MarshalBase64(ce)
		d.Events.ContractEventsXDR[e.OpIndex] = append(d.Events.ContractEventsXDR[e.OpIndex], b)
	}
	if tx.Soroban {
		meta.SorobanMeta = &xdr.SorobanTransactionMetaV2{ReturnValue: tx.ReturnValue}
	}
	d.ResultMetaXDR, _ = xdr.MarshalBase64(xdr.TransactionMeta{V: 4, V4: &meta})
	return d
}
