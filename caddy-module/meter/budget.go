package meter

import (
	"sync"
	"time"
)

// budget is the global allowance of free bytes per minute, shared by every
// session still in its free round: a token bucket holding at most one
// minute's worth, refilled continuously. Free bytes are reserved from it
// chunk by chunk before they are sent and what is not sent is given back,
// so the level never goes below zero: parallel free responses together
// take at most the budget, and a newcomer waits at most until the refill
// (never behind a debt run up by others).
type budget struct {
	mu       sync.Mutex
	perMin   int64 // 0: unlimited
	level    int64
	refilled time.Time
}

func newBudget(perMinute int64, now time.Time) *budget {
	return &budget{perMin: perMinute, level: perMinute, refilled: now}
}

func (b *budget) setRate(perMinute int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perMin != perMinute {
		b.perMin, b.level = perMinute, min(b.level, perMinute)
		if b.level <= 0 {
			b.level = perMinute
		}
	}
}

func (b *budget) refill(now time.Time) {
	if d := now.Sub(b.refilled); d > 0 {
		b.level = min(b.perMin, b.level+int64(float64(b.perMin)*d.Minutes()))
		b.refilled = now
	}
}

// available reports whether free bytes may be served now.
func (b *budget) available(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perMin == 0 {
		return true
	}
	b.refill(now)
	return b.level > 0
}

// reserve grants up to n free bytes and returns how many (0: the budget is
// spent until the refill).
func (b *budget) reserve(now time.Time, n int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perMin == 0 {
		return n
	}
	b.refill(now)
	g := min(n, max(b.level, 0))
	b.level -= g
	return g
}

// release gives back n granted bytes that were not sent.
func (b *budget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perMin != 0 {
		b.level = min(b.perMin, b.level+n)
	}
}

// retryAfter estimates when free bytes are available again.
func (b *budget) retryAfter(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perMin == 0 {
		return 0
	}
	b.refill(now)
	if b.level > 0 {
		return 0
	}
	return time.Duration(float64(-b.level+1) / float64(b.perMin) * float64(time.Minute))
}
