package stellarpay

import (
	"context"
	"fmt"
	"time"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// seenLedgers is how far back the watcher remembers event keys, against
// an RPC that repeats events across pages.
const seenLedgers = 10_000

// handle matches a page of events and hands each sighting to Handle.
// Events that are not the asset's SAC transfer to the payee (whatever an
// RPC's filter let through) are skipped: they pay nothing.
func (w *Watcher) handle(ctx context.Context, events []protocol.EventInfo, next protocol.Cursor) (int, error) {
	if w.seen == nil {
		w.seen = map[string]uint32{}
	}
	for _, e := range events {
		s, ok, err := w.sighting(ctx, e)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if _, dup := w.seen[s.Key]; dup {
			continue
		}
		if err := w.Handle(ctx, s); err != nil {
			return 0, err
		}
		w.seen[s.Key] = s.Ledger
		if rm, ok := w.Requests.(interface{ Remove(uint64) }); ok && s.Verdict == Credited {
			rm.Remove(s.Request.Number)
		}
	}
	for k, l := range w.seen {
		if l+seenLedgers < next.Ledger {
			delete(w.seen, k)
		}
	}
	return len(events), nil
}

// sighting reads one event; ok is false for an event that is not an
// incoming transfer of the asset to the payee. An error is the Matcher's.
func (w *Watcher) sighting(ctx context.Context, e protocol.EventInfo) (Sighting, bool, error) {
	if e.EventType != protocol.EventTypeContract || !e.InSuccessfulContractCall || len(e.TopicXDR) != 4 || e.Ledger <= 0 {
		return Sighting{}, false, nil
	}
	cid, err := strkey.Decode(strkey.VersionByteContract, e.ContractID)
	if err != nil || [32]byte(cid) != w.Contract {
		return Sighting{}, false, nil
	}
	ev, err := parseEventXDR(w.Contract, e.TopicXDR, e.ValueXDR)
	if err != nil || ev.Type != sac.EventTransfer || ev.To != sac.Account(w.Payee) || ev.Asset != w.Asset || ev.Amount <= 0 {
		return Sighting{}, false, nil
	}
	c, err := protocol.ParseCursor(e.ID)
	if err != nil || c.Ledger != uint32(e.Ledger) {
		return Sighting{}, false, nil
	}
	closed, err := time.Parse(time.RFC3339, e.LedgerClosedAt)
	if err != nil {
		closed = time.Now() // unknown: judged as if it closed when seen
	}
	s := Sighting{Key: fmt.Sprintf("%s:%d:%d", e.TransactionHash, c.Op, c.Event), TxHash: e.TransactionHash,
		Ledger: uint32(e.Ledger), ClosedAt: closed, From: ev.From.String(), Amount: ev.Amount, Dest: ev.Dest, Verdict: Unmatched}
	r, ok, err := w.Requests.Match(ctx, ev.Dest)
	if err != nil || !ok {
		return s, err == nil, err
	}
	s.Request = r
	switch {
	case r.PaidBy == s.Key:
		s.Verdict = Credited // this very event paid it (seen again after a restart)
	case r.PaidBy != "":
		s.Request.PaidBy, s.Verdict = r.PaidBy, Unmatched // paid already, by another payment
	case closed.After(r.ExpiresAt):
		s.Verdict = Late
	case ev.Amount < r.Amount:
		s.Verdict = Short
	default:
		s.Verdict = Credited
	}
	return s, true, nil
}

// parseEventXDR decodes an event's base64 topics and value.
func parseEventXDR(contract [32]byte, topics []string, value string) (sac.Event, error) {
	ts := make([]xdr.ScVal, len(topics))
	for i, t := range topics {
		if err := xdr.SafeUnmarshalBase64(t, &ts[i]); err != nil {
			return sac.Event{}, err
		}
	}
	var v xdr.ScVal
	if err := xdr.SafeUnmarshalBase64(value, &v); err != nil {
		return sac.Event{}, err
	}
	return sac.ParseEvent(contract, ts, v)
}
