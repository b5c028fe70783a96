package stellarpay

import (
	"context"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
)

// ledgerTimeFresh is how long the latest ledger read from the RPC is
// used for VerifySAC before it is read again: one read per second at
// most, however many payments arrive. A ledger number up to a second old
// only makes the expiration check stricter (by a ledger at most).
const ledgerTimeFresh = time.Second

// LedgerClock is a backend that knows the ledger's number: what VerifySAC
// needs to check an authorization's expiration ledger.
type LedgerClock interface {
	// LedgerTime returns the latest closed ledger at now.
	LedgerTime(ctx context.Context, now time.Time) (LedgerTime, error)
}

// ledgerCache is the last getLatestLedger answer.
type ledgerCache struct {
	mu     sync.Mutex
	ledger uint32
	at     time.Time // when it was read
}

// LedgerTime implements LedgerClock with getLatestLedger, cached for a
// second. The close interval is RPCConfig.LedgerClose.
func (r *RPCSettler) LedgerTime(ctx context.Context, now time.Time) (LedgerTime, error) {
	c := &r.latest
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ledger == 0 || now.Sub(c.at) >= ledgerTimeFresh || now.Before(c.at) {
		cctx, cancel := r.call(ctx)
		resp, err := r.client.GetLatestLedger(cctx)
		cancel()
		if err != nil {
			return LedgerTime{}, &Error{Kind: ErrUnavailable, Message: "the RPC did not tell its latest ledger", cause: err}
		}
		if resp.Sequence == 0 || resp.Sequence < c.ledger { // an answer going back proves nothing
			return LedgerTime{}, &Error{Kind: ErrUnavailable, Message: "the RPC's latest ledger is 0 or went back"}
		}
		c.ledger, c.at = resp.Sequence, now
	}
	return LedgerTime{Ledger: c.ledger, Now: now, Close: r.cfg.LedgerClose}, nil
}

// RPCClient is the settler's RPC client (its HTTP client, tor's when
// configured), for the ledger watcher to share.
func (r *RPCSettler) RPCClient() *rpcclient.Client { return r.client }

var _ LedgerClock = (*RPCSettler)(nil)
