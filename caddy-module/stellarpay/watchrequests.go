package stellarpay

import (
	"context"
	"sync"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// Outstanding is a payment request a wallet may pay straight to the
// network: to the payee's muxed address M… with Number as its id, or to
// the payee with Memo (MEMO_TEXT), Number (MEMO_ID) or ID (MEMO_HASH).
type Outstanding struct {
	// Number is the request's 64-bit number: the muxed id.
	Number uint64
	// Memo is the short text memo, if the request offers one.
	Memo string
	// ID is the request id, payable as MEMO_HASH.
	ID [32]byte
	// Amount is the least amount, in stroops.
	Amount int64
	// ExpiresAt is when the request expires.
	ExpiresAt time.Time
	// PaidBy is set for a request already paid: the Sighting.Key of the
	// event that paid it, or the transaction hash of another payment. A
	// Matcher that keeps paid requests (the store) sets it; Requests
	// forgets paid requests instead.
	PaidBy string
}

// Matcher finds the request an incoming transfer's muxed id or memo
// names. ok is false when none does; an error (the store is unreachable)
// stops the watcher's page, to be read again.
type Matcher interface {
	Match(ctx context.Context, d *sac.DestinationID) (r Outstanding, ok bool, err error)
}

// Requests is the table of outstanding requests the watcher matches
// incoming payments against. It is safe for concurrent use: the payment
// flow adds requests while the watcher reads.
type Requests struct {
	mu       sync.RWMutex
	byNumber map[uint64]Outstanding
	byMemo   map[string]uint64 // text memo or MEMO_HASH bytes → number
}

// NewRequests returns an empty table.
func NewRequests() *Requests {
	return &Requests{byNumber: map[uint64]Outstanding{}, byMemo: map[string]uint64{}}
}

// Add makes r payable; a request with the same number is replaced.
func (t *Requests) Add(r Outstanding) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byNumber[r.Number] = r
	if r.Memo != "" {
		t.byMemo["t:"+r.Memo] = r.Number
	}
	if r.ID != ([32]byte{}) {
		t.byMemo["h:"+string(r.ID[:])] = r.Number
	}
}

// Remove forgets request number n (paid, or expired long ago).
func (t *Requests) Remove(n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.byNumber[n]
	if !ok {
		return
	}
	delete(t.byNumber, n)
	if r.Memo != "" {
		delete(t.byMemo, "t:"+r.Memo)
	}
	if r.ID != ([32]byte{}) {
		delete(t.byMemo, "h:"+string(r.ID[:]))
	}
}

// Len counts the outstanding requests.
func (t *Requests) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byNumber)
}

// Match implements Matcher.
func (t *Requests) Match(_ context.Context, d *sac.DestinationID) (Outstanding, bool, error) {
	r, ok := t.match(d)
	return r, ok, nil
}

// match finds the request a destination id names.
func (t *Requests) match(d *sac.DestinationID) (Outstanding, bool) {
	if d == nil {
		return Outstanding{}, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := d.ID
	switch d.Kind {
	case sac.DestText:
		num, ok := t.byMemo["t:"+d.Text]
		if !ok {
			return Outstanding{}, false
		}
		n = num
	case sac.DestBytes:
		num, ok := t.byMemo["h:"+string(d.Bytes)]
		if !ok {
			return Outstanding{}, false
		}
		n = num
	}
	r, ok := t.byNumber[n]
	return r, ok
}
