package stellarpay

import (
	"bytes"
	"context"
	"encoding"
	"fmt"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// NonceStatus is what the RPC shows of a payer's authorization nonce: its
// temporary ledger entry (sac.NonceKey), present once a transaction used
// the nonce and until the credential's signature expiration ledger.
type NonceStatus struct {
	// Used is set when the entry is present.
	Used bool
	// Ledger is the ledger whose transaction used the nonce (the entry's
	// last modification) and LiveUntil the ledger the entry lives until;
	// both zero when not Used.
	Ledger, LiveUntil uint32
	// Latest is the RPC's latest ledger when it answered.
	Latest uint32
}

// NonceUsed asks getLedgerEntries whether account payer has used nonce.
// An RPC that does not answer, or answers with an entry that is not the
// one asked for, is ErrUnavailable. An absent entry means unused only
// while Latest is at most the credential's expiration ledger: past it the
// network may have deleted the entry.
func (r *RPCSettler) NonceUsed(ctx context.Context, payer [32]byte, nonce int64) (NonceStatus, error) {
	key := sac.NonceKey(payer, nonce)
	k64, err := xdr.MarshalBase64(key)
	var want struct{ key, contract []byte }
	if err == nil {
		want.key, err = key.ContractData.Key.MarshalBinary()
	}
	if err == nil {
		want.contract, err = key.ContractData.Contract.MarshalBinary()
	}
	if err != nil {
		return NonceStatus{}, fail(ErrMalformed, "nonce key: %v", err)
	}
	cctx, cancel := r.call(ctx)
	resp, err := r.client.GetLedgerEntries(cctx, protocol.GetLedgerEntriesRequest{Keys: []string{k64}})
	cancel()
	if err != nil {
		return NonceStatus{}, &Error{Kind: ErrUnavailable, Message: "the RPC did not answer a nonce look-up", cause: err}
	}
	e := NonceStatus{Latest: resp.LatestLedger}
	if e.Latest == 0 {
		return NonceStatus{}, &Error{Kind: ErrUnavailable, Message: "the RPC answered a nonce look-up at ledger 0", cause: ErrRPCAnswer}
	}
	for _, got := range resp.Entries {
		var data xdr.LedgerEntryData
		if got.KeyXDR != k64 || xdr.SafeUnmarshalBase64(got.DataXDR, &data) != nil || data.ContractData == nil ||
			!equalXDR(data.ContractData.Key, want.key) || !equalXDR(data.ContractData.Contract, want.contract) {
			return NonceStatus{}, &Error{Kind: ErrUnavailable, Message: "the RPC answered a nonce look-up with another entry", cause: ErrRPCAnswer}
		}
		e.Used, e.Ledger = true, got.LastModifiedLedger
		if got.LiveUntilLedgerSeq != nil {
			e.LiveUntil = *got.LiveUntilLedgerSeq
		}
	}
	return e, nil
}

// AuthFinder is a backend that can tell what became of a SAC payment's
// authorization when no transaction the settlement knows of carries it
// (a facilitator submitted it and its answer was lost).
type AuthFinder interface {
	// FindAuthorization reports whether p's authorization landed (the
	// Receipt names the transaction that applied it), can never land
	// (Void), or can still land. An err matching ErrUnavailable means
	// the ledger could not be asked.
	FindAuthorization(ctx context.Context, p *Payment) (Authorization, error)
}

// Authorization is what FindAuthorization found. Neither Landed nor
// Void: the nonce is unused and the authorization can still land.
type Authorization struct {
	// Landed is set when a successful transaction applied it; Receipt
	// names that transaction.
	Landed  bool
	Receipt Receipt
	// Void is set when it can never land: its nonce was used by another
	// authorization of the payer, or its expiration ledger passed with
	// no transaction applying it.
	Void bool
	// Nonce and Expiration are the credential's; Entry what the RPC
	// showed of the nonce.
	Nonce      int64
	Expiration uint32
	Entry      NonceStatus
}

// eventPages bounds the getEvents pages one FindAuthorization reads, of
// eventPageLimit events each (a variable for the tests, to page).
const eventPages = 10

var eventPageLimit uint = 100

// FindAuthorization implements AuthFinder for the rpc backend.
//
// The nonce's entry alone proves nothing about this payment: the key is
// (payer, nonce), and a payer can sign any other invocation (a transfer
// of 1 stroop to someone else) with the same nonce and land that one
// instead. So a used nonce only says where to look: the SAC transfer
// events from the payer to the payee of exactly the amount, in the
// ledger that used it (or, once the entry may be gone, in the ledgers
// from the payment's verification to its expiration ledger). Each
// event's transaction is then read back (getTransaction, its envelope
// hashing to its hash on our network) and credited only when it
// succeeded, its one operation invokes exactly this payment's call
// (transfer(from, to, amount) on the asset's SAC, the muxed destination
// included), and its one authorization entry is this payment's: the
// payer's address credential with this nonce and expiration, for exactly
// that invocation. That is sound: the SAC's transfer requires from's
// authorization for exactly that call, the network applies a credential
// only when its signature over (network, nonce, expiration, invocation)
// verifies, and it uses the nonce once, so a successful transaction
// carrying it moved this amount from the payer to this request's
// destination, with the authorization whose replay key (Payment.Hash)
// this request is settling under; there is at most one such transaction.
// Anything else the payer landed with the nonce is not this payment, and
// then the authorization can never land: Void. That includes the same
// transfer signed again with the same nonce and another expiration: its
// event looks like this payment's, but it is not the authorization this
// request was verified with, and only what was verified is credited.
// An RPC whose events do not reach the nonce's ledger yet, or that shows
// a matching transfer event but not its transaction, proves nothing:
// ErrUnavailable, and the settlement asks again.
func (r *RPCSettler) FindAuthorization(ctx context.Context, p *Payment) (Authorization, error) {
	d, t, err := readAuthorization(p.Envelope)
	if err != nil {
		return Authorization{}, err
	}
	a := Authorization{Nonce: d.nonce, Expiration: d.expLedger}
	if a.Entry, err = r.NonceUsed(ctx, t.From.Key, d.nonce); err != nil {
		return a, err
	}
	start, end := a.Entry.Ledger, a.Entry.Ledger+1
	switch {
	case !a.Entry.Used && a.Entry.Latest <= d.expLedger:
		return a, nil // unused, and its entry would still be there
	case !a.Entry.Used:
		start, end = p.Ledger, d.expLedger+1
		if start == 0 || start > d.expLedger {
			start = d.expLedger
		}
	}
	rc, found, err := r.findTransfer(ctx, d, t, start, end)
	if err != nil {
		return a, err
	}
	a.Landed, a.Void, a.Receipt = found, !found, rc
	return a, nil
}

// authorized is what FindAuthorization compares a landed transaction
// with: the payment's call and its one credential.
type authorized struct {
	callXDR, credAddr, rootXDR []byte
	nonce                      int64
	expLedger                  uint32
}

// readAuthorization reads a SAC payment's call and credential (VerifySAC
// checked them when the payment was made).
func readAuthorization(b64 string) (authorized, sac.Transfer, error) {
	buf := make([]byte, MaxEnvelopeChars)
	d, err := decodeSAC(b64, buf)
	if err != nil {
		return authorized{}, sac.Transfer{}, err
	}
	if !d.isCall || d.ops != 1 || d.credType != xdr.SorobanCredentialsTypeSorobanCredentialsAddress {
		return authorized{}, sac.Transfer{}, fail(ErrNotPayment, "not a SAC payment with the payer's address credential")
	}
	t, err := sac.ParseTransferXDR(d.callXDR)
	if err != nil {
		return authorized{}, t, fail(ErrNotPayment, "not a SAC transfer: %v", err)
	}
	if err := checkAuth(d, t.From); err != nil {
		return authorized{}, t, err
	}
	return authorized{callXDR: d.callXDR, credAddr: d.credAddr, rootXDR: d.rootXDR, nonce: d.nonce, expLedger: d.expLedger}, t, nil
}

// findTransfer looks, in ledgers [start, end), for the transaction that
// applied the authorization a of transfer t (see FindAuthorization).
func (r *RPCSettler) findTransfer(ctx context.Context, a authorized, t sac.Transfer, start, end uint32) (Receipt, bool, error) {
	transfer, asset := xdr.ScSymbol(sac.EventTransfer), protocol.WildCardExactOne
	sym := xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &transfer}
	from, to := t.From.ScVal(), t.To.Base().ScVal()
	req := protocol.GetEventsRequest{
		StartLedger: start, EndLedger: end,
		Filters: []protocol.EventFilter{{
			EventType:   protocol.EventTypeSet{protocol.EventTypeContract: nil},
			ContractIDs: []string{strkey.MustEncode(strkey.VersionByteContract, t.Contract[:])},
			Topics:      []protocol.TopicFilter{{{ScVal: &sym}, {ScVal: &from}, {ScVal: &to}, {Wildcard: &asset}}},
		}},
		Pagination: &protocol.PaginationOptions{Limit: eventPageLimit},
	}
	seen := map[string]bool{}
	for range eventPages {
		cctx, cancel := r.call(ctx)
		resp, err := r.client.GetEvents(cctx, req)
		cancel()
		if err != nil {
			return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: "the RPC did not answer an events look-up", cause: err}
		}
		if resp.LatestLedger < end-1 {
			// Its events are behind the ledger that used the nonce: what
			// it has not read proves nothing yet.
			return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("the RPC's events reach ledger %d, not yet %d", resp.LatestLedger, end-1), cause: ErrRPCAnswer}
		}
		for _, e := range resp.Events {
			if e.Ledger < 0 || uint32(e.Ledger) >= end {
				return Receipt{}, false, nil // a later page's ledgers: searched all
			}
			if seen[e.TransactionHash] || !transferOf(e, t) {
				continue
			}
			seen[e.TransactionHash] = true
			rc, ok, err := r.appliedBy(ctx, e.TransactionHash, a)
			if err != nil || ok {
				return rc, ok, err
			}
		}
		c, err := protocol.ParseCursor(resp.Cursor)
		if len(resp.Events) == 0 || err != nil || c.Ledger >= end {
			return Receipt{}, false, nil
		}
		// A cursor goes without a ledger range (the RPC refuses both):
		// the next pages are cut at end by the ledgers of their events.
		req.StartLedger, req.EndLedger, req.Pagination.Cursor = 0, 0, &c
	}
	return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("more than %d pages of transfers from %s to look through", eventPages, t.From)}
}

// transferOf reports whether event e is t's transfer event: from, to
// (its muxed id in the data), amount.
func transferOf(e protocol.EventInfo, t sac.Transfer) bool {
	if !e.InSuccessfulContractCall || len(e.TopicXDR) != 4 {
		return false
	}
	ev, err := parseEventXDR(t.Contract, e.TopicXDR, e.ValueXDR)
	if err != nil || ev.Type != sac.EventTransfer || ev.From != t.From || ev.To != t.To.Base() || ev.Amount != t.Amount {
		return false
	}
	if t.To.Muxed {
		return ev.Dest != nil && ev.Dest.Kind == sac.DestID && ev.Dest.ID == t.To.ID
	}
	return ev.Dest == nil
}

// appliedBy reads transaction hash back and reports whether it succeeded
// applying exactly the call and the credential of a. A transaction the
// RPC does not show (its event it does) is ErrUnavailable: not knowing
// it is no proof that it is not this payment.
func (r *RPCSettler) appliedBy(ctx context.Context, hash string, a authorized) (Receipt, bool, error) {
	resp, _, found, err := r.transaction(ctx, hash)
	switch {
	case err != nil:
		return Receipt{}, false, err
	case !found: // its event, and not the transaction: it proves nothing yet
		return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: "the RPC shows transaction " + hash + "'s transfer event, not the transaction", cause: ErrRPCAnswer}
	case resp.Status != protocol.TransactionStatusSuccess:
		return Receipt{}, false, nil
	}
	env, err := txenv.Decode(resp.EnvelopeXDR, 4*MaxEnvelopeChars)
	if err != nil {
		return Receipt{}, false, nil
	}
	v1, err := env.V1()
	if err != nil || len(v1.Tx.Operations) != 1 {
		return Receipt{}, false, nil
	}
	op := v1.Tx.Operations[0].Body.InvokeHostFunctionOp
	if op == nil || op.HostFunction.InvokeContract == nil || len(op.Auth) != 1 {
		return Receipt{}, false, nil
	}
	c := op.Auth[0].Credentials.Address
	ok := c != nil && int64(c.Nonce) == a.nonce && uint32(c.SignatureExpirationLedger) == a.expLedger &&
		equalXDR(op.HostFunction.InvokeContract, a.callXDR) && equalXDR(c.Address, a.credAddr) &&
		equalXDR(op.Auth[0].RootInvocation, a.rootXDR)
	if !ok {
		return Receipt{}, false, nil
	}
	return Receipt{Hash: hash, Ledger: resp.Ledger, AlreadyApplied: true}, true, nil
}

// equalXDR reports whether v encodes to want.
func equalXDR(v encoding.BinaryMarshaler, want []byte) bool {
	b, err := v.MarshalBinary()
	return err == nil && bytes.Equal(b, want)
}

var _ AuthFinder = (*RPCSettler)(nil)
