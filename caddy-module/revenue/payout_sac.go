package revenue

import (
	"context"
	"errors"
	"fmt"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// Simulator is the part of a Stellar RPC client that prepares a contract
// call (rpcclient.Client has it).
type Simulator interface {
	SimulateTransaction(ctx context.Context, req protocol.SimulateTransactionRequest) (protocol.SimulateTransactionResponse, error)
}

// ErrSimulation means the RPC could not simulate a payout's transfer.
var ErrSimulation = errors.New("revenue: the RPC could not simulate a payout transfer")

// SACPayoutTransactions builds the period's payouts as transfer calls on
// the asset's Stellar Asset Contract, which can also pay contract
// accounts (C…): one unsigned transaction per payout, since a Soroban
// transaction holds one operation, from the site's account (the report's
// destination) with the sequence numbers after terms.Sequence in order
// (submit them in that order) and no memo (CAP-67 forbids one on a
// Soroban transaction: the memo is the period's only on classic payouts).
// Each is simulated over the
// RPC for its footprint and resource fee; its authorization is the site
// account's own, as the transaction's source, so signing the envelope is
// all the owner does, elsewhere.
func SACPayoutTransactions(ctx context.Context, rpc Simulator, r Report, terms PayoutTerms, a Asset) ([]string, error) {
	if r.Destination == "" {
		return nil, ErrNoPayer
	}
	code, err := assetXDR(r.AssetCode, terms.AssetIssuer)
	if err != nil {
		return nil, err
	}
	contract, err := sac.ContractID(code, a.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("revenue: the asset's contract: %w", err)
	}
	from, err := sac.ParseAddress(r.Destination)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPayer, err)
	}
	var out []string
	for i, p := range r.Payouts() {
		to, err := sac.ParseAddress(p.Account)
		if err != nil {
			return nil, fmt.Errorf("revenue: payee %s: %w", p.Account, err)
		}
		call := sac.Transfer{Contract: contract, From: from, To: to, Amount: int64(p.Amount)}.Args()
		op := &txnbuild.InvokeHostFunction{HostFunction: xdr.HostFunction{
			Type: xdr.HostFunctionTypeHostFunctionTypeInvokeContract, InvokeContract: &call}}
		seq := terms.Sequence + int64(i)
		tx, err := payoutTx(r, terms, seq, true, 0, op)
		if err != nil {
			return nil, err
		}
		b64, err := tx.Base64()
		if err != nil {
			return nil, err
		}
		sim, err := rpc.SimulateTransaction(ctx, protocol.SimulateTransactionRequest{Transaction: b64})
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w to %s: %v", ErrSimulation, p.Account, err)
		case sim.Error != "":
			return nil, fmt.Errorf("%w to %s: %s", ErrSimulation, p.Account, sim.Error)
		case len(sim.Results) != 1:
			return nil, fmt.Errorf("%w to %s: %d results", ErrSimulation, p.Account, len(sim.Results))
		}
		var data xdr.SorobanTransactionData
		if err := xdr.SafeUnmarshalBase64(sim.TransactionDataXDR, &data); err != nil {
			return nil, fmt.Errorf("%w to %s: its Soroban data: %v", ErrSimulation, p.Account, err)
		}
		if sim.Results[0].AuthXDR != nil {
			for _, s := range *sim.Results[0].AuthXDR {
				var e xdr.SorobanAuthorizationEntry
				if err := xdr.SafeUnmarshalBase64(s, &e); err != nil {
					return nil, fmt.Errorf("%w to %s: its authorization: %v", ErrSimulation, p.Account, err)
				}
				if e.Credentials.Type != xdr.SorobanCredentialsTypeSorobanCredentialsSourceAccount {
					return nil, fmt.Errorf("%w to %s: it needs an authorization other than the site account's own", ErrSimulation, p.Account)
				}
				op.Auth = append(op.Auth, e)
			}
		}
		op.Ext = xdr.TransactionExt{V: 1, SorobanData: &data}
		if tx, err = payoutTx(r, terms, seq, true, sim.MinResourceFee, op); err != nil {
			return nil, err
		}
		if b64, err = tx.Base64(); err != nil {
			return nil, err
		}
		out = append(out, b64)
	}
	return out, nil
}
