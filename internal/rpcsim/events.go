package rpcsim

import (
	"encoding/json"
	"fmt"
	"time"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// Event page limits, as the RPC's defaults.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 10_000
)

func (s *Server) getEvents(raw json.RawMessage) (any, error) {
	var req protocol.GetEventsRequest
	if err := params(raw, &req); err != nil {
		return nil, err
	}
	if err := req.Valid(MaxEventLimit); err != nil {
		return nil, invalidParams(err)
	}
	limit := uint(DefaultEventLimit)
	var after *protocol.Cursor
	if p := req.Pagination; p != nil {
		if p.Limit > 0 {
			limit = p.Limit
		}
		if p.Cursor != nil {
			after = p.Cursor
			req.StartLedger = p.Cursor.Ledger
		}
	}
	s.mu.Lock()
	n := s.Ledger.Number()
	oldest := s.oldestLedger(n)
	resp := protocol.GetEventsResponse{Events: []protocol.EventInfo{}, LatestLedger: n, OldestLedger: oldest,
		LatestLedgerCloseTime: s.closeTime(n).Unix(), OldestLedgerCloseTime: s.closeTime(oldest).Unix()}
	s.mu.Unlock()
	// A cursor's ledger is the start too: one past the retention window is
	// refused like a start ledger (a watcher that was down longer than the
	// window must notice what it can no longer read).
	if req.StartLedger < oldest || (after == nil && req.StartLedger > n) {
		return nil, invalidParams(fmt.Errorf("startLedger must be between the oldest ledger: %d and the latest ledger: %d for this rpc instance", oldest, n))
	}
	end := n + 1 // exclusive
	if req.EndLedger != 0 && req.EndLedger < end {
		end = req.EndLedger
	}
	for _, e := range s.Ledger.Events(req.StartLedger, 0) {
		if e.Ledger >= end {
			break
		}
		c := protocol.Cursor{Ledger: e.Ledger, Tx: e.TxIndex, Op: e.OpIndex, Event: e.Index}
		if after != nil && c.Cmp(*after) <= 0 {
			continue
		}
		ce := e.Event.ContractEvent()
		if !req.Matches(xdr.DiagnosticEvent{InSuccessfulContractCall: true, Event: ce}) {
			continue
		}
		resp.Events = append(resp.Events, eventInfo(e, c, ce))
		if uint(len(resp.Events)) == limit {
			resp.Cursor = c.String()
			return resp, nil
		}
	}
	// Everything up to end was searched: the next page starts there.
	resp.Cursor = protocol.Cursor{Ledger: end}.String()
	return resp, nil
}

func eventInfo(e simledger.EventRecord, c protocol.Cursor, ce xdr.ContractEvent) protocol.EventInfo {
	info := protocol.EventInfo{
		EventType: protocol.EventTypeContract, Ledger: int32(e.Ledger),
		LedgerClosedAt: e.CloseTime.UTC().Format(time.RFC3339),
		ContractID:     strkey.MustEncode(strkey.VersionByteContract, e.Event.Contract[:]),
		ID:             c.String(), OpIndex: e.OpIndex, TxIndex: e.TxIndex, TransactionHash: e.TxHash,
		InSuccessfulContractCall: true,
	}
	for _, t := range ce.Body.V0.Topics {
		b, _ := xdr.MarshalBase64(t)
		info.TopicXDR = append(info.TopicXDR, b)
	}
	info.ValueXDR, _ = xdr.MarshalBase64(ce.Body.V0.Data)
	return info
}
