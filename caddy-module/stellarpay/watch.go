package stellarpay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// CursorStore persists where the watcher stopped reading events, so that
// a restart resumes there (the lead hooks it to the store).
type CursorStore interface {
	// LoadCursor returns the saved cursor, "" when there is none.
	LoadCursor(ctx context.Context) (string, error)
	// SaveCursor records that every event up to cursor was handled.
	SaveCursor(ctx context.Context, cursor string) error
}

// MemoryCursor is a CursorStore in memory, for tests and demos.
type MemoryCursor struct {
	mu sync.Mutex
	c  string
}

// LoadCursor implements CursorStore.
func (m *MemoryCursor) LoadCursor(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c, nil
}

// SaveCursor implements CursorStore.
func (m *MemoryCursor) SaveCursor(_ context.Context, c string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c = c
	return nil
}

// Verdicts of a Sighting.
const (
	// Credited: the payment covers an outstanding request in time. The
	// request is removed from the table: it is paid once.
	Credited = "credited"
	// Short: less than the request asks. The request stays outstanding.
	Short = "short"
	// Late: the payment closed after the request expired.
	Late = "late"
	// Unmatched: no outstanding request has the payment's muxed id or memo
	// (none given, unknown, or already paid).
	Unmatched = "unmatched"
)

// Sighting is one incoming transfer to the payee seen on the ledger and
// what it pays. Every one is reported, whatever its verdict: a late or
// short payment is money the owner received and must see.
type Sighting struct {
	// Key identifies the event: transaction hash, operation and event
	// index. A handler records a key once (the store's unique key) and
	// ignores it when seen again, e.g. after a restart before the cursor
	// was saved.
	Key string
	// TxHash is the transaction hash (hex).
	TxHash string
	// Ledger and ClosedAt say when it landed.
	Ledger   uint32
	ClosedAt time.Time
	// From is the payer's address; Amount what it paid, in stroops.
	From   string
	Amount int64
	// Dest is the muxed id or memo it carried, or nil.
	Dest *sac.DestinationID
	// Request is the matched request (zero when Unmatched).
	Request Outstanding
	// Verdict is Credited, Short, Late or Unmatched.
	Verdict string
}

// ErrWatchAnswer means the RPC's getEvents answer cannot be used (a cursor
// that goes backwards or does not parse); the watcher reads again later.
var ErrWatchAnswer = errors.New("stellarpay: unusable getEvents answer")

// Watcher reads the payee's incoming transfers of the asset with getEvents
// (CAP-67 events of the asset's SAC, classic payments included) from a
// persisted cursor and matches them against the outstanding requests.
type Watcher struct {
	// Client is the RPC client.
	Client *rpcclient.Client
	// Contract is the asset's SAC id; Asset its SEP-11 name; Payee the
	// account paid.
	Contract [32]byte
	Asset    string
	Payee    [32]byte
	// Requests finds the request an incoming transfer pays: the in-memory
	// Requests table, or the store (settlement's).
	Requests Matcher
	// Cursors persists the cursor.
	Cursors CursorStore
	// Handle receives every sighting, in ledger order. An error stops the
	// page: the cursor is not advanced and the events are read again.
	Handle func(ctx context.Context, s Sighting) error
	// Limit is the page size; 1000 when zero.
	Limit uint
	// Lookback is how many ledgers before the latest the very first read
	// (no saved cursor) starts, within the RPC's retention: payments to
	// requests issued before the watcher first reached the RPC (it was
	// down, or tor not yet ready) are seen too. Zero starts at the latest.
	Lookback uint32
	// Skipped, if set, is told when the saved cursor is outside the RPC's
	// retention window (the watcher was stopped longer than the RPC keeps
	// ledgers, or the cursor is another network's) and reading resumes at
	// ledger start: payments in the ledgers between are not seen.
	Skipped func(saved protocol.Cursor, start uint32, h protocol.GetHealthResponse)

	cursor string
	resume uint32            // when non-zero, the next page starts at this ledger, not at the cursor
	seen   map[string]uint32 // event key → ledger, for answers that repeat
}

// NewWatcher watches payee's incoming transfers of asset on the network
// with passphrase.
func NewWatcher(c *rpcclient.Client, asset xdr.Asset, passphrase, payee string, reqs Matcher, cursors CursorStore, handle func(context.Context, Sighting) error) (*Watcher, error) {
	id, err := sac.ContractID(asset, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: asset: %v", ErrConfig, err)
	}
	p, err := strkey.Decode(strkey.VersionByteAccountID, payee)
	if err != nil {
		return nil, fmt.Errorf("%w: payee %q: %v", ErrConfig, payee, err)
	}
	return &Watcher{Client: c, Contract: id, Asset: asset.StringCanonical(), Payee: [32]byte(p),
		Requests: reqs, Cursors: cursors, Handle: handle}, nil
}

// Poll reads one page of events after the cursor (from Lookback ledgers
// before the latest on the very first start), handles them and saves the
// new cursor. It
// returns how many events the page held.
func (w *Watcher) Poll(ctx context.Context) (int, error) {
	req, err := w.request(ctx)
	if err != nil {
		return 0, err
	}
	resp, err := w.Client.GetEvents(ctx, req)
	if err != nil {
		return 0, w.outsideWindow(ctx, req, err)
	}
	next, err := protocol.ParseCursor(resp.Cursor)
	if err != nil {
		return 0, fmt.Errorf("%w: cursor %q", ErrWatchAnswer, resp.Cursor)
	}
	if req.Pagination.Cursor != nil && next.Cmp(*req.Pagination.Cursor) < 0 {
		return 0, w.outsideWindow(ctx, req, fmt.Errorf("%w: the cursor went back", ErrWatchAnswer))
	}
	n, err := w.handle(ctx, resp.Events, next)
	if err != nil {
		return n, err
	}
	if err := w.Cursors.SaveCursor(ctx, resp.Cursor); err != nil {
		return n, err
	}
	w.cursor, w.resume = resp.Cursor, 0
	return n, nil
}

// outsideWindow is called when a page read from the cursor failed with
// err. If the cursor is outside the RPC's retention window (older than its
// oldest ledger, or past its latest: another network's), no later read
// from it can succeed: the next page starts at the oldest ledger still
// kept (or the latest, for a cursor from the future) and Skipped is told.
// It returns err either way.
func (w *Watcher) outsideWindow(ctx context.Context, req protocol.GetEventsRequest, err error) error {
	if req.Pagination == nil || req.Pagination.Cursor == nil {
		return err
	}
	c := *req.Pagination.Cursor
	h, herr := w.Client.GetHealth(ctx)
	if herr != nil || h.OldestLedger == 0 {
		return err
	}
	switch {
	case c.Ledger < h.OldestLedger:
		w.resume = h.OldestLedger
	case c.Ledger > h.LatestLedger+1:
		w.resume = h.LatestLedger
	default:
		return err
	}
	if w.Skipped != nil {
		w.Skipped(c, w.resume, h)
	}
	return err
}

// request builds the getEvents request: the SAC's transfer events whose
// recipient topic is the payee.
func (w *Watcher) request(ctx context.Context) (protocol.GetEventsRequest, error) {
	limit := w.limit()
	transfer, any := xdr.ScSymbol(sac.EventTransfer), protocol.WildCardExactOne
	sym := xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &transfer}
	to := sac.Account(w.Payee).ScVal()
	req := protocol.GetEventsRequest{
		Filters: []protocol.EventFilter{{
			EventType:   protocol.EventTypeSet{protocol.EventTypeContract: nil},
			ContractIDs: []string{strkey.MustEncode(strkey.VersionByteContract, w.Contract[:])},
			Topics:      []protocol.TopicFilter{{{ScVal: &sym}, {Wildcard: &any}, {ScVal: &to}, {Wildcard: &any}}},
		}},
		Pagination: &protocol.PaginationOptions{Limit: limit},
	}
	if w.cursor == "" {
		c, err := w.Cursors.LoadCursor(ctx)
		if err != nil {
			return req, err
		}
		w.cursor = c
	}
	if w.resume != 0 {
		req.StartLedger = w.resume
		return req, nil
	}
	if w.cursor != "" {
		c, err := protocol.ParseCursor(w.cursor)
		if err != nil {
			return req, fmt.Errorf("%w: saved cursor %q", ErrWatchAnswer, w.cursor)
		}
		req.Pagination.Cursor = &c
		return req, nil
	}
	latest, err := w.Client.GetLatestLedger(ctx)
	if err != nil {
		return req, err
	}
	if latest.Sequence == 0 {
		return req, fmt.Errorf("%w: latest ledger 0", ErrWatchAnswer)
	}
	req.StartLedger = latest.Sequence
	if w.Lookback > 0 {
		h, err := w.Client.GetHealth(ctx)
		if err != nil {
			return req, err
		}
		back := latest.Sequence - min(w.Lookback, latest.Sequence-1)
		req.StartLedger = min(max(back, h.OldestLedger), latest.Sequence)
	}
	return req, nil
}

func (w *Watcher) limit() uint {
	if w.Limit == 0 {
		return 1000
	}
	return w.Limit
}

// Run polls until ctx ends, every interval when a page came back short.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := w.Poll(ctx)
		if err == nil && uint(n) >= w.limit() {
			continue // a full page: more are waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
