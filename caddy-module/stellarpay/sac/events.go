package sac

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// Event types of CAP-67 (protocol 23): a transfer between two holders; a
// mint when the issuer pays; a burn when the issuer is paid.
const (
	EventTransfer = "transfer"
	EventMint     = "mint"
	EventBurn     = "burn"
)

// Kinds of DestinationID, after the classic memo types they come from.
const (
	// DestID is a muxed id or a MEMO_ID (u64).
	DestID = iota + 1
	// DestText is a MEMO_TEXT (string).
	DestText
	// DestBytes is a MEMO_HASH or MEMO_RETURN (bytes).
	DestBytes
)

// DestinationID is the to_muxed_id of a CAP-67 event: the muxed id of an
// M… destination or the memo of a classic payment. It is how a payment
// made by any wallet names the request it pays.
type DestinationID struct {
	// Kind is DestID, DestText or DestBytes.
	Kind int
	// ID for DestID.
	ID uint64
	// Text for DestText.
	Text string
	// Bytes for DestBytes.
	Bytes []byte
}

// Event is a CAP-67 token event of a SAC.
type Event struct {
	// Type is EventTransfer, EventMint or EventBurn.
	Type string
	// Contract is the emitting contract's id.
	Contract [32]byte
	// From is the payer (zero for a mint); To the payee (zero for a burn),
	// never muxed: the muxed id travels in Dest.
	From, To Address
	// Amount in stroops.
	Amount int64
	// Asset is the SEP-11 name: "native" or "CODE:ISSUER".
	Asset string
	// Dest is the to_muxed_id, or nil.
	Dest *DestinationID
}

// ContractEvent renders e as the host emits it: topics [type, from?, to?,
// asset] and data either the i128 amount or {amount, to_muxed_id}.
func (e Event) ContractEvent() xdr.ContractEvent {
	sym := xdr.ScSymbol(e.Type)
	asset := xdr.ScString(e.Asset)
	topics := []xdr.ScVal{{Type: xdr.ScValTypeScvSymbol, Sym: &sym}}
	if e.Type != EventMint {
		topics = append(topics, e.From.ScVal())
	}
	if e.Type != EventBurn {
		topics = append(topics, e.To.ScVal())
	}
	topics = append(topics, xdr.ScVal{Type: xdr.ScValTypeScvString, Str: &asset})
	data := I128(e.Amount)
	if e.Dest != nil {
		amt, mux := xdr.ScSymbol("amount"), xdr.ScSymbol("to_muxed_id")
		m := xdr.ScMap{
			{Key: xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &amt}, Val: data},
			{Key: xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &mux}, Val: e.Dest.scVal()},
		}
		mp := &m
		data = xdr.ScVal{Type: xdr.ScValTypeScvMap, Map: &mp}
	}
	id := xdr.ContractId(e.Contract)
	return xdr.ContractEvent{
		Type:       xdr.ContractEventTypeContract,
		ContractId: &id,
		Body:       xdr.ContractEventBody{V: 0, V0: &xdr.ContractEventV0{Topics: topics, Data: data}},
	}
}

func (d *DestinationID) scVal() xdr.ScVal {
	switch d.Kind {
	case DestText:
		s := xdr.ScString(d.Text)
		return xdr.ScVal{Type: xdr.ScValTypeScvString, Str: &s}
	case DestBytes:
		b := xdr.ScBytes(d.Bytes)
		return xdr.ScVal{Type: xdr.ScValTypeScvBytes, Bytes: &b}
	}
	u := xdr.Uint64(d.ID)
	return xdr.ScVal{Type: xdr.ScValTypeScvU64, U64: &u}
}

// ParseEvent decodes a SAC token event from its contract id, topics and
// data. It does not check that contract is the asset's SAC: the caller
// compares Contract with the one it trusts.
func ParseEvent(contract [32]byte, topics []xdr.ScVal, data xdr.ScVal) (Event, error) {
	if len(topics) < 3 {
		return Event{}, fmt.Errorf("%w: %d topics", ErrEvent, len(topics))
	}
	sym, ok := topics[0].GetSym()
	if !ok {
		return Event{}, fmt.Errorf("%w: first topic is %s", ErrEvent, topics[0].Type)
	}
	e := Event{Type: string(sym), Contract: contract}
	want := 3
	if e.Type == EventTransfer {
		want = 4
	} else if e.Type != EventMint && e.Type != EventBurn {
		return Event{}, fmt.Errorf("%w: %q", ErrEvent, e.Type)
	}
	if len(topics) != want {
		return Event{}, fmt.Errorf("%w: %s with %d topics", ErrEvent, e.Type, len(topics))
	}
	var err error
	addrs := topics[1 : want-1]
	switch e.Type {
	case EventTransfer:
		if e.From, err = scAddressArg(addrs[0]); err == nil {
			e.To, err = scAddressArg(addrs[1])
		}
	case EventMint:
		e.To, err = scAddressArg(addrs[0])
	case EventBurn:
		e.From, err = scAddressArg(addrs[0])
	}
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrEvent, err)
	}
	asset, ok := topics[want-1].GetStr()
	if !ok {
		return Event{}, fmt.Errorf("%w: the asset topic is %s", ErrEvent, topics[want-1].Type)
	}
	e.Asset = string(asset)
	if e.Amount, e.Dest, err = parseData(data); err != nil {
		return Event{}, err
	}
	return e, nil
}

func parseData(data xdr.ScVal) (int64, *DestinationID, error) {
	m, ok := data.GetMap()
	if !ok {
		amt, err := Int64(data)
		return amt, nil, err
	}
	if m == nil {
		return 0, nil, fmt.Errorf("%w: empty data map", ErrEvent)
	}
	var amt int64
	var dest *DestinationID
	found := false
	for _, e := range *m {
		key, ok := e.Key.GetSym()
		if !ok {
			return 0, nil, fmt.Errorf("%w: data map key is %s", ErrEvent, e.Key.Type)
		}
		var err error
		switch key {
		case "amount":
			amt, err = Int64(e.Val)
			found = err == nil
		case "to_muxed_id":
			dest, err = parseDest(e.Val)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	if !found {
		return 0, nil, fmt.Errorf("%w: data map has no amount", ErrEvent)
	}
	return amt, dest, nil
}

func parseDest(v xdr.ScVal) (*DestinationID, error) {
	switch {
	case v.Type == xdr.ScValTypeScvU64 && v.U64 != nil:
		return &DestinationID{Kind: DestID, ID: uint64(*v.U64)}, nil
	case v.Type == xdr.ScValTypeScvString && v.Str != nil:
		return &DestinationID{Kind: DestText, Text: string(*v.Str)}, nil
	case v.Type == xdr.ScValTypeScvBytes && v.Bytes != nil:
		return &DestinationID{Kind: DestBytes, Bytes: append([]byte(nil), (*v.Bytes)...)}, nil
	case v.Type == xdr.ScValTypeScvVoid:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: to_muxed_id is %s", ErrEvent, v.Type)
}
