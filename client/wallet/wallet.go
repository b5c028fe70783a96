// Package wallet builds SEP-41 token transfers the way a wallet or a
// payment client does against any Stellar RPC, with the official Go
// client: load the source account, simulate the contract call, sign the
// payer's address authorization entries, attach the Soroban data and sign
// the envelope; and, for a payer that submits its own payment, send it
// and wait for its ledger.
//
// The paying client uses it for the standard formats (x402 exact and the
// Payment scheme's stellar charge, pull and push); tests use it, through
// internal/rpcsim, to pay the simulated RPC as a visitor pays the network.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// ZeroAccount is the all-zeros account, the source of a transaction whose
// fee a sponsor pays (draft-stellar-charge-00 pull mode with feePayer;
// x402 exact on Stellar): the sponsor replaces it with its own account,
// and it makes the payer's authorization an address credential.
const ZeroAccount = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF"

// LedgerClose is the ledger close time both standards tell a client to
// assume when it turns a time into a number of ledgers.
const LedgerClose = 5 * time.Second

// Wallet pays through one Stellar RPC on one network.
type Wallet struct {
	// Client is the RPC client.
	Client *rpcclient.Client
	// Passphrase of the network.
	Passphrase string
}

// Errors of a payment the wallet builds or sends.
var (
	// ErrSimulation means the RPC's simulation reported a host error.
	ErrSimulation = errors.New("wallet: simulation failed")
	// ErrFailed means the transaction reached a ledger and failed there:
	// nothing was paid.
	ErrFailed = errors.New("wallet: the transaction failed on the ledger")
	// ErrRefused means the RPC refused the transaction before any ledger
	// (sendTransaction ERROR): nothing was paid.
	ErrRefused = errors.New("wallet: the RPC refused the transaction")
	// ErrUnknown means the outcome is not known: the transaction was sent
	// and may still land.
	ErrUnknown = errors.New("wallet: the transaction's outcome is unknown")
)

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

// Ledgers is how many ledgers of LedgerClose cover d, rounded up, as both
// standards compute an authorization's expiration (at least one).
func Ledgers(d time.Duration) uint32 {
	if d <= 0 {
		return 1
	}
	return uint32((d + LedgerClose - 1) / LedgerClose)
}

// Prepare simulates call with source as the transaction's source and
// signs every address credential with signer, valid for ledgers more
// ledgers than the simulation's latest.
func (w Wallet) Prepare(ctx context.Context, source string, call xdr.InvokeContractArgs, signer *keypair.Full, ledgers uint32) (*Prepared, error) {
	acct, err := w.account(ctx, source)
	if err != nil {
		return nil, err
	}
	sim, err := w.simulate(ctx, acct, call, nil)
	if err != nil {
		return nil, err
	}
	p := &Prepared{Latest: sim.LatestLedger}
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
	if err := xdr.SafeUnmarshalBase64(sim.TransactionDataXDR, &p.Data); err != nil {
		return nil, err
	}
	return p, nil
}

// Envelope builds and signs the transaction of a prepared call, with
// source (whose key is sourceKey) paying the fee, valid for five minutes.
func (w Wallet) Envelope(ctx context.Context, sourceKey *keypair.Full, call xdr.InvokeContractArgs, p *Prepared) (string, error) {
	acct, err := w.Client.LoadAccount(ctx, sourceKey.Address())
	if err != nil {
		return "", err
	}
	return w.envelope(acct, call, p.Auth, &p.Data, sourceKey, txnbuild.NewTimeout(300))
}

// Sponsored returns call as a fee sponsor takes it: the all-zeros source
// (ZeroAccount), signer's authorization signed to expire ledgers after
// the latest ledger, and the Soroban data of a second simulation with the
// signed entries (a signature costs resources the first one did not
// see). The envelope itself is not signed: the sponsor rebuilds it.
func (w Wallet) Sponsored(ctx context.Context, call xdr.InvokeContractArgs, signer *keypair.Full, ledgers uint32) (string, error) {
	p, err := w.Prepare(ctx, ZeroAccount, call, signer, ledgers)
	if err != nil {
		return "", err
	}
	acct, _ := w.account(ctx, ZeroAccount)
	sim, err := w.simulate(ctx, acct, call, p.Auth)
	if err != nil {
		return "", err
	}
	if err := xdr.SafeUnmarshalBase64(sim.TransactionDataXDR, &p.Data); err != nil {
		return "", err
	}
	return w.envelope(acct, call, p.Auth, &p.Data, nil, txnbuild.NewTimeout(300))
}

// Own returns call as payer's own transaction, fully signed, with payer as
// source paying its fee and authorizing as the source account, valid no
// later than maxTime (the unsponsored pull and the push mode of the
// stellar charge).
func (w Wallet) Own(ctx context.Context, payer *keypair.Full, call xdr.InvokeContractArgs, maxTime time.Time) (string, error) {
	p, err := w.Prepare(ctx, payer.Address(), call, payer, 1)
	if err != nil {
		return "", err
	}
	acct, err := w.Client.LoadAccount(ctx, payer.Address())
	if err != nil {
		return "", err
	}
	return w.envelope(acct, call, p.Auth, &p.Data, payer, txnbuild.NewTimebounds(0, maxTime.Unix()))
}

// Send submits env and waits, polling every poll until ctx ends, for its
// ledger; it returns the transaction hash once the transaction succeeded.
// ErrRefused and ErrFailed mean nothing was paid; ErrUnknown (the wait
// ended first) means it may still be.
func (w Wallet) Send(ctx context.Context, env string, poll time.Duration) (string, error) {
	resp, err := w.Client.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env})
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: sendTransaction: %v", ErrUnknown, err)
	case resp.Status == "ERROR":
		return "", fmt.Errorf("%w: %s", ErrRefused, resp.ErrorResultXDR)
	case resp.Status != "PENDING" && resp.Status != "DUPLICATE":
		return "", fmt.Errorf("%w: sendTransaction answered %s", ErrRefused, resp.Status)
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		got, err := w.Client.GetTransaction(ctx, protocol.GetTransactionRequest{Hash: resp.Hash})
		switch {
		case err == nil && got.Status == protocol.TransactionStatusSuccess:
			return resp.Hash, nil
		case err == nil && got.Status == protocol.TransactionStatusFailed:
			return "", fmt.Errorf("%w: %s", ErrFailed, resp.Hash)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %s not in a ledger yet", ErrUnknown, resp.Hash)
		case <-t.C:
		}
	}
}

// account is source's account for a simulation: the all-zeros account
// needs not (and does not) exist.
func (w Wallet) account(ctx context.Context, source string) (txnbuild.Account, error) {
	if source == ZeroAccount {
		return &txnbuild.SimpleAccount{AccountID: ZeroAccount}, nil
	}
	return w.Client.LoadAccount(ctx, source)
}

// simulate runs call (with auth, if any) from acct through the RPC.
func (w Wallet) simulate(ctx context.Context, acct txnbuild.Account, call xdr.InvokeContractArgs, auth []xdr.SorobanAuthorizationEntry) (protocol.SimulateTransactionResponse, error) {
	env, err := w.envelope(acct, call, auth, nil, nil, txnbuild.NewTimeout(300))
	if err != nil {
		return protocol.SimulateTransactionResponse{}, err
	}
	sim, err := w.Client.SimulateTransaction(ctx, protocol.SimulateTransactionRequest{Transaction: env})
	if err != nil {
		return sim, err
	}
	if sim.Error != "" {
		return sim, fmt.Errorf("%w: %s", ErrSimulation, sim.Error)
	}
	return sim, nil
}

// envelope builds the transaction of call; it does not move acct's
// sequence number (a copy is built on).
func (w Wallet) envelope(acct txnbuild.Account, call xdr.InvokeContractArgs, auth []xdr.SorobanAuthorizationEntry,
	data *xdr.SorobanTransactionData, kp *keypair.Full, tb txnbuild.TimeBounds) (string, error) {
	op := &txnbuild.InvokeHostFunction{
		HostFunction: xdr.HostFunction{Type: xdr.HostFunctionTypeHostFunctionTypeInvokeContract, InvokeContract: &call},
		Auth:         auth,
	}
	if data != nil {
		op.Ext = xdr.TransactionExt{V: 1, SorobanData: data}
	}
	seq, err := acct.GetSequenceNumber()
	if err != nil {
		return "", err
	}
	src := &txnbuild.SimpleAccount{AccountID: acct.GetAccountID(), Sequence: seq}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount: src, IncrementSequenceNum: true, Operations: []txnbuild.Operation{op},
		BaseFee: txnbuild.MinBaseFee, Preconditions: txnbuild.Preconditions{TimeBounds: tb},
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
