package stellarpaytest

import (
	"bytes"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
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

// UseNonce gives the address credentials of auth nonce and declares its
// key (sac.NonceKey) in data's footprint instead of the one simulation
// picked: a payer signing another invocation with a nonce it used (or
// means to use) elsewhere. Sign the entries after.
func UseNonce(auth []xdr.SorobanAuthorizationEntry, data *xdr.SorobanTransactionData, nonce int64) error {
	rw := data.Resources.Footprint.ReadWrite
	for i := range auth {
		c := auth[i].Credentials.Address
		if c == nil {
			continue
		}
		a, err := sac.FromScAddress(c.Address)
		if err != nil {
			return err
		}
		old, err := sac.NonceKey(a.Key, int64(c.Nonce)).MarshalBinary()
		if err != nil {
			return err
		}
		for j := range rw {
			if b, _ := rw[j].MarshalBinary(); bytes.Equal(b, old) {
				rw[j] = sac.NonceKey(a.Key, nonce)
			}
		}
		c.Nonce = xdr.Int64(nonce)
	}
	return nil
}
