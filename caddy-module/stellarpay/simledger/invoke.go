package simledger

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// checkSoroban does the validity checks of a Soroban transaction: one
// InvokeHostFunction operation, Soroban data declaring a resource fee the
// footprint needs, and no Soroban data on a classic transaction.
func (l *Ledger) checkSoroban(tx *xdr.Transaction) *Rejection {
	sd, hasData := tx.Ext.GetSorobanData()
	invokes := 0
	for _, op := range tx.Operations {
		if op.Body.Type == xdr.OperationTypeInvokeHostFunction {
			invokes++
		}
	}
	switch {
	case invokes == 0 && !hasData:
		return nil
	case invokes == 0 || len(tx.Operations) != 1:
		return reject("tx_malformed")
	case !hasData:
		return &Rejection{Codes: Codes{Tx: "tx_soroban_invalid"}, Cause: fmt.Errorf("%w: no soroban data", ErrResourceFee)}
	}
	fp := sd.Resources.Footprint
	if min := MinResourceFee(len(fp.ReadOnly) + len(fp.ReadWrite)); int64(sd.ResourceFee) < min || sd.ResourceFee < 0 {
		return &Rejection{Codes: Codes{Tx: "tx_soroban_invalid"},
			Cause: fmt.Errorf("%w: %d declared, %d needed", ErrResourceFee, sd.ResourceFee, min)}
	}
	return nil
}

// invoke applies an InvokeHostFunction operation: the SAC call, its
// authorization and its footprint. A failure sets s.cause and answers
// op_trapped, as a host error does on the network.
func (s *state) invoke(src [32]byte, op *xdr.InvokeHostFunctionOp, opIndex int) string {
	fail := func(err error) string {
		s.cause = err
		return "op_trapped"
	}
	c, ok := op.HostFunction.GetInvokeContract()
	if !ok {
		return fail(fmt.Errorf("%w: host function %s", ErrUnsupported, op.HostFunction.Type))
	}
	ex, err := s.execute(&c)
	if err != nil {
		return fail(err)
	}
	_, nonceKeys, err := s.authorize(op.Auth, ex.auth, &c, src)
	if err != nil {
		return fail(err)
	}
	for _, k := range ex.readOnly {
		if !s.footprint.has(k) {
			return fail(fmt.Errorf("%w: read-only %s", ErrFootprint, k.Type))
		}
	}
	for _, k := range append(ex.readWrite, nonceKeys...) {
		if !s.footprint.has(k) || s.readOnly(k) {
			return fail(fmt.Errorf("%w: read-write %s", ErrFootprint, k.Type))
		}
	}
	ret := ex.ret
	s.ret = &ret
	for _, e := range ex.events {
		s.events = append(s.events, opEvent{op: uint32(opIndex), ev: e})
	}
	return "op_success"
}

// readOnly reports whether k is declared read-only (a write to it fails).
func (s *state) readOnly(k xdr.LedgerKey) bool {
	return s.footprintRO != nil && s.footprintRO.has(k)
}
