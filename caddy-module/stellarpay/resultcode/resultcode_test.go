package resultcode

import (
	"testing"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// TestRoundTrip checks that every named code maps back to itself, so the
// simulated RPC writes what the settler reads.
func TestRoundTrip(t *testing.T) {
	for c, n := range txNames {
		if got, ok := TxCode(n); !ok || got != c || Tx(c) != n {
			t.Errorf("%s: TxCode = %v, %v", n, got, ok)
		}
	}
	for c, n := range paymentNames {
		if got, ok := PaymentCode(n); !ok || got != c || Payment(c) != n {
			t.Errorf("%s: PaymentCode = %v, %v", n, got, ok)
		}
	}
	if _, ok := TxCode("tx_no_such_code"); ok {
		t.Error("an unknown name has a code")
	}
	if Tx(xdr.TransactionResultCode(-99)) != "tx_internal_error" {
		t.Error("an unknown code is not tx_internal_error")
	}
}

func TestOps(t *testing.T) {
	results := []xdr.OperationResult{
		{Code: xdr.OperationResultCodeOpInner, Tr: &xdr.OperationResultTr{Type: xdr.OperationTypePayment,
			PaymentResult: &xdr.PaymentResult{Code: xdr.PaymentResultCodePaymentUnderfunded}}},
		{Code: xdr.OperationResultCodeOpInner, Tr: &xdr.OperationResultTr{Type: xdr.OperationTypeInvokeHostFunction,
			InvokeHostFunctionResult: &xdr.InvokeHostFunctionResult{Code: xdr.InvokeHostFunctionResultCodeInvokeHostFunctionTrapped}}},
		{Code: xdr.OperationResultCodeOpNotSupported},
	}
	r := xdr.TransactionResult{Result: xdr.TransactionResultResult{Code: xdr.TransactionResultCodeTxFailed, Results: &results}}
	got := Ops(r)
	want := []string{"op_underfunded", "op_trapped", "op_not_supported"}
	if len(got) != len(want) {
		t.Fatalf("Ops = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Ops[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}
