package simledger

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// Simulation is what simulating a contract call tells its caller, as
// Stellar RPC's simulateTransaction does: the result, the authorization
// entries to sign, and the Soroban data (footprint, resources, resource
// fee) to attach before signing the transaction.
type Simulation struct {
	// ReturnValue of the call.
	ReturnValue xdr.ScVal
	// Auth are the entries the call needs: recorded (unsigned, fresh
	// nonces) when the transaction carried none, else those it carried.
	Auth []xdr.SorobanAuthorizationEntry
	// Data is the Soroban data to attach.
	Data xdr.SorobanTransactionData
	// MinResourceFee is Data's resource fee.
	MinResourceFee int64
	// Events the call would emit.
	Events []sac.Event
}

// Resources every simulated SAC call declares; the ledger does not meter
// them (its fee model is per footprint entry) but clients copy them into
// the transaction, so they are plausible values.
const (
	simInstructions = 2_000_000
	simEntryBytes   = 500
)

// Simulate runs the one InvokeHostFunction of an (unsigned) transaction
// envelope against the ledger as it is, changing nothing. Authorization
// entries the transaction carries are enforced (signatures, nonces,
// expiration for the next ledger); without any they are recorded.
func (l *Ledger) Simulate(b64 string) (*Simulation, error) {
	env, err := txenv.Decode(b64, MaxEnvelopeChars)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	v1, err := env.V1()
	if err != nil {
		return nil, fmt.Errorf("%w: not a v1 envelope", ErrMalformed)
	}
	tx := &v1.Tx
	if len(tx.Operations) != 1 || tx.Operations[0].Body.Type != xdr.OperationTypeInvokeHostFunction {
		return nil, fmt.Errorf("%w: simulation needs exactly one InvokeHostFunction operation", ErrUnsupported)
	}
	op := tx.Operations[0].Body.InvokeHostFunctionOp
	call, ok := op.HostFunction.GetInvokeContract()
	if !ok {
		return nil, fmt.Errorf("%w: host function %s", ErrUnsupported, op.HostFunction.Type)
	}
	src, _ := txenv.AccountKey(tx.SourceAccount)
	if op := tx.Operations[0]; op.SourceAccount != nil {
		src, _ = txenv.AccountKey(*op.SourceAccount)
	}

	// The source need not exist: clients simulate with a placeholder
	// source (the JavaScript SDK's all-zero account) and rebuild later.
	l.mu.Lock()
	defer l.mu.Unlock()
	st := &state{l: l, touched: map[[32]byte]*account{}, txSource: src, closing: l.number + 1}
	ex, err := st.execute(&call)
	if err != nil {
		return nil, err
	}
	sim := &Simulation{ReturnValue: ex.ret, Events: ex.events}
	var nonceKeys []xdr.LedgerKey
	if len(op.Auth) > 0 {
		if _, nonceKeys, err = st.authorize(op.Auth, ex.auth, &call, src); err != nil {
			return nil, err
		}
		sim.Auth = op.Auth
	} else {
		sim.Auth, nonceKeys = recordAuth(ex.auth, &call, src)
	}
	rw := append(append([]xdr.LedgerKey{}, ex.readWrite...), nonceKeys...)
	n := len(ex.readOnly) + len(rw)
	sim.MinResourceFee = MinResourceFee(n)
	sim.Data = xdr.SorobanTransactionData{
		Resources: xdr.SorobanResources{
			Footprint:     xdr.LedgerFootprint{ReadOnly: ex.readOnly, ReadWrite: rw},
			Instructions:  simInstructions,
			DiskReadBytes: xdr.Uint32(simEntryBytes * n),
			WriteBytes:    xdr.Uint32(simEntryBytes * len(rw)),
		},
		ResourceFee: xdr.Int64(sim.MinResourceFee),
	}
	return sim, nil
}
