// Package resultcode names Stellar's transaction and operation result
// codes as Horizon does ("tx_bad_seq", "op_underfunded"), the names
// stellarpay's refusals and simledger's results use, and maps them to and
// from their XDR values. One table, read both ways: the simulated RPC
// writes results with it and the rpc settlement backend reads them.
package resultcode

import "github.com/stellar/go-stellar-sdk/xdr"

var txNames = map[xdr.TransactionResultCode]string{
	xdr.TransactionResultCodeTxSuccess:             "tx_success",
	xdr.TransactionResultCodeTxFailed:              "tx_failed",
	xdr.TransactionResultCodeTxTooEarly:            "tx_too_early",
	xdr.TransactionResultCodeTxTooLate:             "tx_too_late",
	xdr.TransactionResultCodeTxMissingOperation:    "tx_missing_operation",
	xdr.TransactionResultCodeTxBadSeq:              "tx_bad_seq",
	xdr.TransactionResultCodeTxBadAuth:             "tx_bad_auth",
	xdr.TransactionResultCodeTxInsufficientBalance: "tx_insufficient_balance",
	xdr.TransactionResultCodeTxNoAccount:           "tx_no_source_account",
	xdr.TransactionResultCodeTxInsufficientFee:     "tx_insufficient_fee",
	xdr.TransactionResultCodeTxBadAuthExtra:        "tx_bad_auth_extra",
	xdr.TransactionResultCodeTxInternalError:       "tx_internal_error",
	xdr.TransactionResultCodeTxNotSupported:        "tx_not_supported",
	xdr.TransactionResultCodeTxMalformed:           "tx_malformed",
	xdr.TransactionResultCodeTxSorobanInvalid:      "tx_soroban_invalid",
}

var paymentNames = map[xdr.PaymentResultCode]string{
	xdr.PaymentResultCodePaymentSuccess:       "op_success",
	xdr.PaymentResultCodePaymentMalformed:     "op_malformed",
	xdr.PaymentResultCodePaymentUnderfunded:   "op_underfunded",
	xdr.PaymentResultCodePaymentSrcNoTrust:    "op_src_no_trust",
	xdr.PaymentResultCodePaymentNoDestination: "op_no_destination",
	xdr.PaymentResultCodePaymentNoTrust:       "op_no_trust",
	xdr.PaymentResultCodePaymentLineFull:      "op_line_full",
}

var invokeNames = map[xdr.InvokeHostFunctionResultCode]string{
	xdr.InvokeHostFunctionResultCodeInvokeHostFunctionSuccess:               "op_success",
	xdr.InvokeHostFunctionResultCodeInvokeHostFunctionMalformed:             "op_malformed",
	xdr.InvokeHostFunctionResultCodeInvokeHostFunctionTrapped:               "op_trapped",
	xdr.InvokeHostFunctionResultCodeInvokeHostFunctionResourceLimitExceeded: "op_resource_limit_exceeded",
}

// Tx names a transaction result code; unknown codes are "tx_internal_error".
func Tx(c xdr.TransactionResultCode) string {
	if n, ok := txNames[c]; ok {
		return n
	}
	return "tx_internal_error"
}

// TxCode is the inverse of Tx.
func TxCode(name string) (xdr.TransactionResultCode, bool) {
	for c, n := range txNames {
		if n == name {
			return c, true
		}
	}
	return 0, false
}

// Payment names a payment operation's result code.
func Payment(c xdr.PaymentResultCode) string { return orMalformed(paymentNames[c]) }

// PaymentCode is the inverse of Payment.
func PaymentCode(name string) (xdr.PaymentResultCode, bool) {
	for c, n := range paymentNames {
		if n == name {
			return c, true
		}
	}
	return 0, false
}

// Invoke names an InvokeHostFunction operation's result code.
func Invoke(c xdr.InvokeHostFunctionResultCode) string { return orMalformed(invokeNames[c]) }

func orMalformed(n string) string {
	if n == "" {
		return "op_malformed"
	}
	return n
}

// Ops names the operation results of a transaction result ("op_inner"
// results by their operation's code; others by the outer code).
func Ops(r xdr.TransactionResult) []string {
	res, ok := r.Result.GetResults()
	if !ok {
		return nil
	}
	out := make([]string, 0, len(res))
	for _, o := range res {
		switch {
		case o.Code != xdr.OperationResultCodeOpInner || o.Tr == nil:
			out = append(out, "op_not_supported")
		case o.Tr.PaymentResult != nil:
			out = append(out, Payment(o.Tr.PaymentResult.Code))
		case o.Tr.InvokeHostFunctionResult != nil:
			out = append(out, Invoke(o.Tr.InvokeHostFunctionResult.Code))
		default:
			out = append(out, "op_success")
		}
	}
	return out
}
