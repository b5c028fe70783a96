package store

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Batcher queues writes and stores them in batches from a background
// goroutine, so callers on the request hot path never wait on disk. Session
// updates to one key coalesce; rounds and payment requests are written in
// the order queued, payment requests first. A failed batch is queued again.
type Batcher struct {
	store DB
	every time.Duration
	onErr func(error)

	mu       sync.Mutex
	sessions map[string]Session
	rounds   []Round
	prs      []PaymentRequest

	flushMu sync.Mutex // held while a batch is written
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// NewBatcher starts a Batcher writing to store every interval (and sooner
// when maxQueued writes are waiting). onErr, if not nil, hears write errors.
func NewBatcher(store DB, every time.Duration, onErr func(error)) *Batcher {
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	b := &Batcher{
		store: store, every: every, onErr: onErr,
		sessions: make(map[string]Session),
		kick:     make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go b.loop()
	return b
}

// maxQueued writes waiting trigger a flush before the interval.
const maxQueued = 4096

// QueueSession queues an insert or update of s, replacing any queued one.
func (b *Batcher) QueueSession(s Session) {
	b.mu.Lock()
	if old, ok := b.sessions[s.Key]; ok && old.FirstSeen.Before(s.FirstSeen) && !old.FirstSeen.IsZero() {
		s.FirstSeen = old.FirstSeen
	}
	b.sessions[s.Key] = s
	n := len(b.sessions)
	b.mu.Unlock()
	b.maybeKick(n)
}

// QueueRound queues a round record.
func (b *Batcher) QueueRound(r Round) {
	b.mu.Lock()
	b.rounds = append(b.rounds, r)
	n := len(b.rounds)
	b.mu.Unlock()
	b.maybeKick(n)
}

// QueuePaymentRequest queues a new payment request; it is written ahead of
// other queued writes, and the request is kicked out at once.
func (b *Batcher) QueuePaymentRequest(p PaymentRequest) {
	b.mu.Lock()
	b.prs = append(b.prs, p)
	b.mu.Unlock()
	b.maybeKick(maxQueued)
}

func (b *Batcher) maybeKick(n int) {
	if n < maxQueued {
		return
	}
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Batcher) loop() {
	defer close(b.done)
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		if err := b.Flush(context.Background()); err != nil && b.onErr != nil {
			b.onErr(err)
		}
	}
}

// Flush writes everything queued now, waiting for a batch already being
// written, and returns the first error (the failed writes stay queued).
func (b *Batcher) Flush(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	prs, rounds, sessions := b.prs, b.rounds, b.sessions
	b.prs, b.rounds, b.sessions = nil, nil, make(map[string]Session, len(sessions))
	b.mu.Unlock()
	if len(prs)+len(rounds)+len(sessions) == 0 {
		return nil
	}
	ss := make([]Session, 0, len(sessions))
	for _, s := range sessions {
		ss = append(ss, s)
	}
	perr := b.store.PutPaymentRequests(ctx, prs)
	rerr := b.store.AddRounds(ctx, rounds)
	serr := b.store.PutSessions(ctx, ss)
	b.mu.Lock()
	defer b.mu.Unlock()
	if perr != nil && !errors.Is(perr, ErrDuplicate) { // a duplicate id is dropped, not retried forever
		b.prs = append(prs, b.prs...)
	}
	if rerr != nil {
		b.rounds = append(rounds, b.rounds...)
	}
	if serr != nil {
		for _, s := range ss {
			if _, newer := b.sessions[s.Key]; !newer {
				b.sessions[s.Key] = s
			}
		}
	}
	for _, err := range []error{perr, rerr, serr} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Pending reports whether a payment request with id is queued or being written.
func (b *Batcher) Pending(id [32]byte) bool {
	if !b.flushMu.TryLock() {
		return true
	}
	defer b.flushMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.prs {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Close stops the background writer after a final flush.
func (b *Batcher) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush(context.Background())
}
