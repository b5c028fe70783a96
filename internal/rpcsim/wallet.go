package rpcsim

import (
	"context"
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// Wallet does what a wallet or payment client does against any Stellar
// RPC, with the official Go client: load the source account, simulate a
// contract call, sign its address authorization entries, attach the
// Soroban data and sign the envelope. Tests use it to pay the simulated
// RPC the way a visitor pays the network.
type Wallet struct {
	// Client is the RPC client.
	Client *rpcclient.Client
	// Passphrase of the network.
	Passphrase string
}

// ErrSimulation means the RPC's simulation reported a host error.
var ErrSimulation = errors.New("rpcsim: simulation failed")

// Prepared is a contract call simulated and authorized, before its
// envelope is signed.
type Prepared struct {
	// Auth are the signed authorization entries.
	Auth []xdr.SorobanAuthorizationEntry
	// Data is the Soroban data from the simulation.
	Data xdr.SorobanTransactionData
	// Latest is the ledger the simulation ran at.
	Latest uint32
}

// Prepare simulates call with source as the transaction's source and
// signs every address credential with signer, valid for ledgers more
// ledgers.
func (w Wallet) Prepare(ctx context.Context, source string, call xdr.InvokeContractArgs, signer *keypair.Full, ledgers uint32) (*Prepared, error) {
	acct, err := w.Client.LoadAccount(ctx, source)
	if err != nil {
		return nil, err
	}
	env, err := w.envelope(acct, call, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	sim, err := w.Client.SimulateTransaction(ctx, protocol.SimulateTransactionRequest{Transaction: env})
	if err != nil {
		return nil, err
	}
	if sim.Error != "" {
		return nil, fmt.Errorf("%w: %s", ErrSimulation, sim.Error)
	}
	p := &Prepared{Latest: sim.LatestLedger}
	if err := xdr.SafeUnmarshalBase64(sim.TransactionDataXDR, &p.Data); err != nil {
		return nil, err
	}
	if len(sim.Results) != 1 || sim.Results[0].AuthXDR == nil {
		return nil, fmt.Errorf("%w: no result", ErrSimulation)
	}
	nid := network.ID(w.Passphrase)
	for _, a := range *sim.Results[0].AuthXDR {
		var e xdr.SorobanAuthorizationEntry
		if err := xdr.SafeUnmarshalBase64(a, &e); err != nil {
			return nil, err
		}
		if e.Credentials.Type == xdr.SorobanCredentialsTypeSorobanCredentialsAddress {
			if err := sac.Sign(&e, signer, sim.LatestLedger+ledgers, nid); err != nil {
				return nil, err
			}
		}
		p.Auth = append(p.Auth, e)
	}
	return p, nil
}

// Envelope builds and signs the transaction of a prepared call, with
// source (whose key is sourceKey) paying the fee.
func (w Wallet) Envelope(ctx context.Context, sourceKey *keypair.Full, call xdr.InvokeContractArgs, p *Prepared) (string, error) {
	acct, err := w.Client.LoadAccount(ctx, sourceKey.Address())
	if err != nil {
		return "", err
	}
	return w.envelope(acct, call, p.Auth, &p.Data, sourceKey)
}

func (w Wallet) envelope(acct txnbuild.Account, call xdr.InvokeContractArgs, auth []xdr.SorobanAuthorizationEntry, data *xdr.SorobanTransactionData, kp *keypair.Full) (string, error) {
	op := &txnbuild.InvokeHostFunction{
		HostFunction: xdr.HostFunction{Type: xdr.HostFunctionTypeHostFunctionTypeInvokeContract, InvokeContract: &call},
		Auth:         auth,
	}
	if data != nil {
		op.Ext = xdr.TransactionExt{V: 1, SorobanData: data}
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount: acct, IncrementSequenceNum: true, Operations: []txnbuild.Operation{op},
		BaseFee: txnbuild.MinBaseFee, Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewTimeout(300)},
	})
	if err != nil {
		return "", err
	}
	if kp != nil {
		if tx, err = tx.Sign(w.Passphrase, kp); err != nil {
			return "", err
		}
	}
	return tx.Base64()
}
