package stellarpay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/resultcode"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// sendTransaction statuses.
const (
	rpcPending   = "PENDING"
	rpcDuplicate = "DUPLICATE"
	rpcError     = "ERROR"
	rpcTryLater  = "TRY_AGAIN_LATER"
)

// Settle submits p and waits for its ledger. A SAC payment (VerifySAC) is
// rebuilt with the fee account as source; a classic envelope is sent as
// it is. Before every retry the last transaction sent is looked up, and a
// SAC payment is rebuilt (new sequence number) only when the one sent can
// never be applied; the payer's nonce makes sure at most one lands.
func (r *RPCSettler) Settle(ctx context.Context, p *Payment) (Receipt, error) {
	env, err := txenv.Decode(p.Envelope, MaxEnvelopeChars)
	if err != nil {
		return Receipt{}, fail(ErrMalformed, "not a base64 XDR transaction envelope")
	}
	v1, err := env.V1()
	if err != nil {
		return Receipt{}, fail(ErrNotV1, "envelope type %s: send a plain v1 transaction", env.XDR.Type)
	}
	isSAC := len(v1.Tx.Operations) == 1 && v1.Tx.Operations[0].Body.Type == xdr.OperationTypeInvokeHostFunction
	b64, hash := p.Envelope, p.HashHex()
	if isSAC {
		if r.cfg.FeeAccount == nil {
			return Receipt{}, fail(ErrExpectation, "SAC payments need a fee account (fee_account_seed_file)")
		}
		r.fee.Lock()
		defer r.fee.Unlock()
		b64, hash = "", ""
	}
	b := r.cfg.Backoff.withDefaults()
	wait := b.Initial
	var last error
	for attempt := 0; attempt < b.Attempts; attempt++ {
		if attempt > 0 {
			if err := r.sleep(ctx, wait); err != nil {
				return Receipt{}, &Error{Kind: ErrUnavailable, Message: "settlement cancelled", cause: errors.Join(err, last)}
			}
			wait = min(2*wait, b.Max)
			if hash != "" {
				if rc, found, err := r.Find(ctx, hash); found {
					return rc, err
				}
			}
		}
		if b64 == "" {
			if b64, hash, err = r.rebuild(ctx, v1, p); err != nil {
				last = err
				continue
			}
		}
		if r.cfg.OnSubmit != nil {
			if err := r.cfg.OnSubmit(p, hash); err != nil {
				return Receipt{}, &Error{Kind: ErrUnavailable, Message: "the settlement could not be recorded", cause: err}
			}
		}
		rc, done, err := r.submit(ctx, b64, hash)
		switch {
		case done:
			return rc, err
		case isSAC && errors.Is(err, ErrBadSequence):
			// The fee account's sequence moved on under us: the transaction
			// sent can never be applied, so a new one is safe.
			b64 = ""
		}
		last = err
	}
	return Receipt{}, &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("the ledger did not settle the payment after %d attempts", b.Attempts), cause: last}
}

// rebuild makes the SAC payment's transaction with the fee account as
// source: the payer's invocation, authorization and Soroban data, the
// fee account's next sequence number, valid until the payment's MaxTime.
func (r *RPCSettler) rebuild(ctx context.Context, v1 *xdr.TransactionV1Envelope, p *Payment) (string, string, error) {
	op := v1.Tx.Operations[0].Body.InvokeHostFunctionOp
	sd, ok := v1.Tx.Ext.GetSorobanData()
	if op == nil || !ok {
		return "", "", fail(ErrResourceFee, "the payment carries no Soroban data")
	}
	cctx, cancel := r.call(ctx)
	defer cancel()
	acct, err := r.client.LoadAccount(cctx, r.cfg.FeeAccount.Address())
	if err != nil {
		return "", "", fmt.Errorf("loading the fee account: %w", err)
	}
	tb := txnbuild.NewTimeout(300)
	if !p.MaxTime.IsZero() {
		tb = txnbuild.NewTimebounds(0, p.MaxTime.Unix())
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount: acct, IncrementSequenceNum: true, BaseFee: txnbuild.MinBaseFee,
		Operations: []txnbuild.Operation{&txnbuild.InvokeHostFunction{
			HostFunction: op.HostFunction, Auth: op.Auth, Ext: xdr.TransactionExt{V: 1, SorobanData: &sd}}},
		Preconditions: txnbuild.Preconditions{TimeBounds: tb},
	})
	if err == nil {
		tx, err = tx.Sign(r.cfg.NetworkPassphrase, r.cfg.FeeAccount)
	}
	if err != nil {
		return "", "", fail(ErrMalformed, "rebuilding the payment: %v", err)
	}
	h, err := tx.Hash(r.cfg.NetworkPassphrase)
	b64, err2 := tx.Base64()
	if err = errors.Join(err, err2); err != nil {
		return "", "", fail(ErrMalformed, "rebuilding the payment: %v", err)
	}
	return b64, hex.EncodeToString(h[:]), nil
}

// submit sends one transaction and waits for its outcome; done reports a
// definite outcome (a receipt, or a refusal matching ErrRejected).
func (r *RPCSettler) submit(ctx context.Context, b64, hash string) (Receipt, bool, error) {
	cctx, cancel := r.call(ctx)
	resp, err := r.client.SendTransaction(cctx, protocol.SendTransactionRequest{Transaction: b64})
	cancel()
	switch {
	case err != nil:
		return Receipt{}, false, err
	case resp.Hash != hash:
		return Receipt{}, false, fmt.Errorf("%w: sent %s, the RPC answered for %q", ErrRPCAnswer, hash, resp.Hash)
	case resp.Status == rpcError:
		var res xdr.TransactionResult
		if err := xdr.SafeUnmarshalBase64(resp.ErrorResultXDR, &res); err != nil {
			return Receipt{}, false, fmt.Errorf("%w: ERROR without a readable result", ErrRPCAnswer)
		}
		rej := rejection(ResultCodes{Transaction: resultcode.Tx(res.Result.Code), Operations: resultcode.Ops(res)})
		if errors.Is(rej, ErrBadSequence) {
			return Receipt{}, false, rej
		}
		return Receipt{}, true, rej
	case resp.Status == rpcTryLater:
		return Receipt{}, false, fmt.Errorf("the RPC asked to try again later")
	case resp.Status != rpcPending && resp.Status != rpcDuplicate:
		return Receipt{}, false, fmt.Errorf("%w: status %q", ErrRPCAnswer, resp.Status)
	}
	return r.await(ctx, hash)
}

// await polls getTransaction until the transaction is in a ledger or
// Wait has passed.
func (r *RPCSettler) await(ctx context.Context, hash string) (Receipt, bool, error) {
	polls := int(r.cfg.Wait/r.cfg.Poll) + 1
	var last error
	for range polls {
		rc, found, err := r.Find(ctx, hash)
		if found {
			return rc, true, err
		}
		last = err
		if err := r.sleep(ctx, r.cfg.Poll); err != nil {
			return Receipt{}, false, errors.Join(err, last)
		}
	}
	return Receipt{}, false, fmt.Errorf("transaction %s not in a ledger after %s: %w", hash, r.cfg.Wait, errors.Join(last, errors.New("timeout")))
}

// Find implements Finder with getTransaction. An answer is believed only
// when its envelope hashes to the transaction asked for and its result
// agrees with its status; anything else is ErrUnavailable.
func (r *RPCSettler) Find(ctx context.Context, hash string) (Receipt, bool, error) {
	resp, res, found, err := r.transaction(ctx, hash)
	switch {
	case err != nil || !found:
		return Receipt{}, false, err
	case resp.Status == protocol.TransactionStatusFailed:
		return Receipt{}, true, rejection(ResultCodes{Transaction: resultcode.Tx(res.Result.Code), Operations: resultcode.Ops(res)})
	}
	return Receipt{Hash: hash, Ledger: resp.Ledger}, true, nil
}

// transaction is getTransaction of hash, confirmed (confirm): found is
// false while the RPC does not know it; err matches ErrUnavailable.
func (r *RPCSettler) transaction(ctx context.Context, hash string) (protocol.GetTransactionResponse, xdr.TransactionResult, bool, error) {
	cctx, cancel := r.call(ctx)
	defer cancel()
	resp, err := r.client.GetTransaction(cctx, protocol.GetTransactionRequest{Hash: hash})
	if err != nil {
		return resp, xdr.TransactionResult{}, false, &Error{Kind: ErrUnavailable, Message: "the RPC did not answer a transaction look-up", cause: err}
	}
	if resp.Status == protocol.TransactionStatusNotFound {
		return resp, xdr.TransactionResult{}, false, nil
	}
	res, err := r.confirm(resp, hash)
	if err != nil {
		return resp, res, false, &Error{Kind: ErrUnavailable, Message: "the RPC answered a look-up with what does not confirm it", cause: err}
	}
	return resp, res, true, nil
}

// OldestLedgerTime implements HistoryWindow: every getTransaction answer
// carries the RPC's oldest ledger, so it asks for a hash no transaction
// has.
func (r *RPCSettler) OldestLedgerTime(ctx context.Context) (time.Time, error) {
	cctx, cancel := r.call(ctx)
	defer cancel()
	resp, err := r.client.GetTransaction(cctx, protocol.GetTransactionRequest{Hash: strings.Repeat("0", 64)})
	if err != nil {
		return time.Time{}, &Error{Kind: ErrUnavailable, Message: "the RPC did not answer a transaction look-up", cause: err}
	}
	if resp.OldestLedgerCloseTime <= 0 || resp.OldestLedger == 0 {
		return time.Time{}, &Error{Kind: ErrUnavailable, Message: "the RPC named no oldest ledger", cause: ErrRPCAnswer}
	}
	return time.Unix(resp.OldestLedgerCloseTime, 0), nil
}

// confirm checks a found transaction's answer: the hash, the envelope's
// own hash on our network, a ledger, and a result that agrees with the
// status.
func (r *RPCSettler) confirm(resp protocol.GetTransactionResponse, hash string) (xdr.TransactionResult, error) {
	var res xdr.TransactionResult
	if resp.TransactionHash != hash || resp.Ledger == 0 {
		return res, fmt.Errorf("%w: asked for %s, got %q in ledger %d", ErrRPCAnswer, hash, resp.TransactionHash, resp.Ledger)
	}
	env, err := txenv.Decode(resp.EnvelopeXDR, 4*MaxEnvelopeChars)
	if err != nil {
		return res, fmt.Errorf("%w: unreadable envelope", ErrRPCAnswer)
	}
	if h, err := env.Hash(txenv.NetworkID(r.cfg.NetworkPassphrase)); err != nil || hex.EncodeToString(h[:]) != hash {
		return res, fmt.Errorf("%w: the envelope is another transaction", ErrRPCAnswer)
	}
	if err := xdr.SafeUnmarshalBase64(resp.ResultXDR, &res); err != nil {
		return res, fmt.Errorf("%w: unreadable result", ErrRPCAnswer)
	}
	ok := res.Successful()
	switch resp.Status {
	case protocol.TransactionStatusSuccess:
		if !ok {
			return res, fmt.Errorf("%w: SUCCESS with result %s", ErrRPCAnswer, res.Result.Code)
		}
	case protocol.TransactionStatusFailed:
		if ok {
			return res, fmt.Errorf("%w: FAILED with a successful result", ErrRPCAnswer)
		}
	default:
		return res, fmt.Errorf("%w: status %q", ErrRPCAnswer, resp.Status)
	}
	return res, nil
}
