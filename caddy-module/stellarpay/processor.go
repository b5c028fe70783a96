package stellarpay

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Processor verifies and settles payments and refuses replays: a
// transaction hash, or a payment request id, that is being settled or was
// settled is refused with ErrReplay, so one payment is never credited twice
// even when the same envelope arrives many times at once. A failed
// settlement releases both, so the payer can try again.
//
// The memory is per process. Entries are dropped once the request and the
// transaction have expired: Verify refuses such an envelope anyway, and the
// ledger can no longer apply it. A store shared by several replicas must
// keep the same guarantee durably (pending → settling → paid).
type Processor struct {
	// Settler submits verified payments.
	Settler Settler
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	byHash  map[[32]byte]time.Time // → when the entry may be forgotten
	byID    map[payreq.ID]time.Time
	settled map[payreq.ID]bool // payment request ids paid
}

// Process verifies b64 against exp and settles it. The receipt is returned
// only when the ledger applied the payment; the caller credits the payer then.
func (p *Processor) Process(ctx context.Context, b64 string, exp *payreq.Request) (Receipt, error) {
	now := p.now()
	pay, err := Verify(b64, exp, now)
	if err != nil {
		return Receipt{}, err
	}
	forget := exp.ExpiresAt
	if pay.MaxTime.After(forget) {
		forget = pay.MaxTime
	}
	if err := p.claim(pay, forget, now); err != nil {
		return Receipt{}, err
	}
	r, err := p.Settler.Settle(ctx, pay)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		delete(p.byHash, pay.Hash)
		delete(p.byID, pay.ID)
		return Receipt{}, err
	}
	p.settled[pay.ID] = true
	return r, nil
}

func (p *Processor) claim(pay *Payment, forget, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byHash == nil {
		p.byHash, p.byID, p.settled = map[[32]byte]time.Time{}, map[payreq.ID]time.Time{}, map[payreq.ID]bool{}
	}
	p.prune(now)
	if _, ok := p.byHash[pay.Hash]; ok {
		return fail(ErrReplay, "transaction %s was already submitted", pay.HashHex())
	}
	if _, ok := p.byID[pay.ID]; ok {
		if p.settled[pay.ID] {
			return fail(ErrReplay, "payment request %s is already paid", hex.EncodeToString(pay.ID[:]))
		}
		return fail(ErrReplay, "payment request %s is being paid by another transaction", hex.EncodeToString(pay.ID[:]))
	}
	p.byHash[pay.Hash] = forget
	p.byID[pay.ID] = forget
	return nil
}

// prune forgets expired entries; it runs under p.mu.
func (p *Processor) prune(now time.Time) {
	for h, t := range p.byHash {
		if now.After(t) {
			delete(p.byHash, h)
		}
	}
	for id, t := range p.byID {
		if now.After(t) {
			delete(p.byID, id)
			delete(p.settled, id)
		}
	}
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
