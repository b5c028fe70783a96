package revenue

import (
	"context"
	"fmt"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// TransactionGetter is the part of a Stellar RPC client the check needs
// (rpcclient.Client has it).
type TransactionGetter interface {
	GetTransaction(ctx context.Context, req protocol.GetTransactionRequest) (protocol.GetTransactionResponse, error)
}

// Asset names the asset a report's income is counted in, on a network:
// what its SAC is.
type Asset struct {
	Issuer     string // G…
	Passphrase string // the network's passphrase
}

// CheckTransactionsRPC looks up, over Stellar RPC, every transaction the
// report lists, and checks that it succeeded and that the CAP-67 token
// events of the asset's SAC in it (which a classic payment and a SAC
// transfer emit alike; an issuer's payment is a mint) moved at least the
// listed amount to the report's destination. It returns every problem
// found, joined, each prefixed with its transaction's hash and matching
// ErrTxMissing, ErrTxFailed or ErrTxNotPaid.
func CheckTransactionsRPC(ctx context.Context, c TransactionGetter, r Report, a Asset) error {
	code, err := assetXDR(r.AssetCode, a.Issuer)
	if err != nil {
		return err
	}
	contract, err := sac.ContractID(code, a.Passphrase)
	if err != nil {
		return fmt.Errorf("revenue: the asset's contract: %w", err)
	}
	name := code.StringCanonical()
	return checkEach(ctx, r, func(t Transaction) error {
		tx, err := c.GetTransaction(ctx, protocol.GetTransactionRequest{Hash: t.TxHash})
		switch {
		case err != nil:
			return fmt.Errorf("looking it up: %w", err)
		case tx.Status == protocol.TransactionStatusNotFound:
			return ErrTxMissing
		case tx.Status != protocol.TransactionStatusSuccess:
			return ErrTxFailed
		}
		events, err := contractEvents(tx.TransactionDetails)
		if err != nil {
			return fmt.Errorf("%w: its events do not decode: %v", ErrTxNotPaid, err)
		}
		var paid int64
		for _, ce := range events {
			if ce.ContractId == nil || [32]byte(*ce.ContractId) != contract || ce.Body.V0 == nil {
				continue
			}
			ev, err := sac.ParseEvent(contract, ce.Body.V0.Topics, ce.Body.V0.Data)
			if err != nil || ev.Asset != name || ev.To.Contract || ev.To.Key != siteKey(r.Destination) ||
				(ev.Type != sac.EventTransfer && ev.Type != sac.EventMint) || ev.Amount <= 0 {
				continue
			}
			paid += ev.Amount
		}
		if paid < int64(t.Amount) {
			return fmt.Errorf("%w: its %s events moved %v to %s, the report lists %v", ErrTxNotPaid, name, Amount(paid), r.Destination, t.Amount)
		}
		return nil
	})
}

// assetXDR is the credit asset code:issuer.
func assetXDR(code, issuer string) (xdr.Asset, error) {
	a, err := txnbuild.CreditAsset{Code: code, Issuer: issuer}.ToXDR()
	if err != nil {
		return a, fmt.Errorf("revenue: asset %s:%s: %w", code, issuer, err)
	}
	return a, nil
}

// siteKey is the ed25519 key of the site's G… account (zero if it is none).
func siteKey(account string) [32]byte {
	a, err := sac.ParseAddress(account)
	if err != nil || a.Contract {
		return [32]byte{}
	}
	return a.Key
}

// contractEvents are a transaction's contract events, from its meta (v3
// or v4), else from the events getTransaction lists per operation.
func contractEvents(d protocol.TransactionDetails) ([]xdr.ContractEvent, error) {
	if d.ResultMetaXDR != "" {
		var meta xdr.TransactionMeta
		if err := xdr.SafeUnmarshalBase64(d.ResultMetaXDR, &meta); err != nil {
			return nil, err
		}
		switch {
		case meta.V4 != nil:
			var out []xdr.ContractEvent
			for _, op := range meta.V4.Operations {
				out = append(out, op.Events...)
			}
			return out, nil
		case meta.V3 != nil && meta.V3.SorobanMeta != nil:
			return meta.V3.SorobanMeta.Events, nil
		}
	}
	var out []xdr.ContractEvent
	for _, op := range d.Events.ContractEventsXDR {
		for _, b := range op {
			var e xdr.ContractEvent
			if err := xdr.SafeUnmarshalBase64(b, &e); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}
