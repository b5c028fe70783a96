package simledger

import (
	"sort"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// EventRecord is a CAP-67 token event the ledger emitted, where it was
// emitted: (Ledger, TxIndex, OpIndex, Index) orders all events, as
// getEvents' cursors do.
type EventRecord struct {
	// Ledger is the ledger that included the transaction.
	Ledger uint32
	// CloseTime of that ledger.
	CloseTime time.Time
	// TxIndex is the transaction's application order in the ledger (from 1).
	TxIndex uint32
	// OpIndex is the operation's index in the transaction (from 0).
	OpIndex uint32
	// Index is the event's index in the operation (from 0).
	Index uint32
	// TxHash is the transaction hash (hex).
	TxHash string
	// Event is the event itself.
	Event sac.Event
}

// opEvent is an event of one operation, before its transaction is placed.
type opEvent struct {
	op uint32
	ev sac.Event
}

// paymentEvent records the event CAP-67 has a classic payment emit: in
// the name of the asset's SAC (deployed or not), to the base account, with
// the destination's muxed id or else the transaction's memo as to_muxed_id.
func (s *state) paymentEvent(src [32]byte, p *xdr.PaymentOp, opIndex int) {
	asset, _ := assetFromXDR(p.Asset)
	dst, _ := txenv.AccountKey(p.Destination)
	ev := sac.Event{Type: sac.EventTransfer, Contract: s.l.ContractID(asset),
		From: sac.Account(src), To: sac.Account(dst), Amount: int64(p.Amount), Asset: asset.xdr().StringCanonical()}
	if m, ok := p.Destination.GetMed25519(); ok {
		ev.Dest = &sac.DestinationID{Kind: sac.DestID, ID: uint64(m.Id)}
	} else {
		ev.Dest = memoDest(s.memo)
	}
	issuer := !asset.Native() && encodeAddress(src) == asset.Issuer
	switch {
	case issuer:
		ev.Type, ev.From = sac.EventMint, sac.Address{}
	case !asset.Native() && encodeAddress(dst) == asset.Issuer:
		ev.Type, ev.To, ev.Dest = sac.EventBurn, sac.Address{}, nil
	}
	s.events = append(s.events, opEvent{op: uint32(opIndex), ev: ev})
}

// memoDest maps a classic memo onto to_muxed_id, as CAP-67 does.
func memoDest(m xdr.Memo) *sac.DestinationID {
	switch {
	case m.Type == xdr.MemoTypeMemoId && m.Id != nil:
		return &sac.DestinationID{Kind: sac.DestID, ID: uint64(*m.Id)}
	case m.Type == xdr.MemoTypeMemoText && m.Text != nil:
		return &sac.DestinationID{Kind: sac.DestText, Text: *m.Text}
	case m.Type == xdr.MemoTypeMemoHash && m.Hash != nil:
		return &sac.DestinationID{Kind: sac.DestBytes, Bytes: append([]byte(nil), m.Hash[:]...)}
	case m.Type == xdr.MemoTypeMemoReturn && m.RetHash != nil:
		return &sac.DestinationID{Kind: sac.DestBytes, Bytes: append([]byte(nil), m.RetHash[:]...)}
	}
	return nil
}

// record places a successful transaction's events in the history.
func (l *Ledger) record(res *TxResult, evs []opEvent) []EventRecord {
	var out []EventRecord
	perOp := map[uint32]uint32{}
	for _, e := range evs {
		r := EventRecord{Ledger: res.Ledger, CloseTime: res.CloseTime, TxIndex: res.Index,
			OpIndex: e.op, Index: perOp[e.op], TxHash: res.Hash, Event: e.ev}
		perOp[e.op]++
		out = append(out, r)
	}
	l.events = append(l.events, out...)
	return out
}

// Events returns up to limit events from ledger start on (all when limit
// is 0), oldest first.
func (l *Ledger) Events(start uint32, limit int) []EventRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.events), func(i int) bool { return l.events[i].Ledger >= start })
	end := len(l.events)
	if limit > 0 && i+limit < end {
		end = i + limit
	}
	return append([]EventRecord(nil), l.events[i:end]...)
}
