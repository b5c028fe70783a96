package stellarpaytest

import (
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// Invoke returns the operation calling a contract function: with the
// authorization entries and the Soroban data a simulation returned
// (nil before simulating).
func Invoke(call xdr.InvokeContractArgs, auth []xdr.SorobanAuthorizationEntry, data *xdr.SorobanTransactionData) *txnbuild.InvokeHostFunction {
	op := &txnbuild.InvokeHostFunction{
		HostFunction: xdr.HostFunction{Type: xdr.HostFunctionTypeHostFunctionTypeInvokeContract, InvokeContract: &call},
		Auth:         auth,
	}
	if data != nil {
		op.Ext = xdr.TransactionExt{V: 1, SorobanData: data}
	}
	return op
}

// Ops lists operations, for Tx.Ops.
func Ops(ops ...txnbuild.Operation) []txnbuild.Operation { return ops }

// Until is time bounds from now to t.
func Until(t time.Time) txnbuild.TimeBounds { return txnbuild.NewTimebounds(0, t.Unix()) }
