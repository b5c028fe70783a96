package store

import (
	"context"
	"sync"
	"time"
)

// leaseGroup is group commit for leases: one goroutine at a time writes
// the leases waiting, in one transaction (Leaser.Leases), while the next
// ones gather behind it. One lease alone costs what it did on its own; a
// burst of them (every session of a busy replica back from idle, each
// asking for its next chunk) costs a transaction per batch. The zero value
// is ready.
type leaseGroup struct {
	mu      sync.Mutex
	queue   []*leaseCall
	writing bool // a goroutine is writing batches
}

// leaseCall is one Lease waiting for its batch.
type leaseCall struct {
	req     LeaseRequest
	granted int64
	err     error
	done    chan struct{}
}

// leaseBatch bounds the leases one transaction grants (and so the
// statement's size and the rows it locks); more wait for the next.
const leaseBatch = 256

// leaseTimeout bounds one batch's transaction.
const leaseTimeout = 30 * time.Second

// lease queues req, unless ctx has ended, and waits for its batch to
// commit. Once queued it does not leave early when ctx ends: a grant
// committed after its caller left would be bytes no one serves and no one
// gives back (leaseTimeout bounds the wait).
func (g *leaseGroup) lease(ctx context.Context, db Leaser, req LeaseRequest) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c := &leaseCall{req: req, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	start := !g.writing
	g.writing = true
	g.mu.Unlock()
	if start {
		go g.write(db)
	}
	<-c.done
	return c.granted, c.err
}

// write writes batches until none is waiting.
func (g *leaseGroup) write(db Leaser) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), leaseBatch)
		if n == 0 {
			g.writing = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		reqs := make([]LeaseRequest, len(batch))
		for i, c := range batch {
			reqs[i] = c.req
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaseTimeout)
		grants, err := db.Leases(ctx, reqs)
		cancel()
		for i, c := range batch {
			if err != nil {
				c.err = err
			} else {
				c.granted = grants[i]
			}
			close(c.done)
		}
	}
}
