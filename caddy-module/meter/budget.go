package meter

import (
	"sync/atomic"
	"time"
)

// budget is the global allowance of free bytes per minute, shared by every
// session still in its free round: a token bucket holding at most one
// minute's worth, refilled continuously. Free bytes are reserved from it
// chunk by chunk before they are sent and what is not sent is given back,
// so the level never goes below zero: parallel free responses together
// take at most the budget, and a newcomer waits at most until the refill
// (never behind a debt run up by others). It is lock-free: every free
// chunk passes through it (see BenchmarkReserveChunk).
type budget struct {
	perMin   atomic.Int64 // 0: unlimited
	level    atomic.Int64
	refilled atomic.Int64 // unix ns up to which the refill is applied
}

func newBudget(perMinute int64, now time.Time) *budget {
	b := new(budget)
	b.perMin.Store(perMinute)
	b.level.Store(perMinute)
	b.refilled.Store(now.UnixNano())
	return b
}

func (b *budget) setRate(perMinute int64) {
	if b.perMin.Swap(perMinute) == perMinute {
		return
	}
	for {
		l := b.level.Load()
		nl := min(l, perMinute)
		if nl <= 0 {
			nl = perMinute
		}
		if b.level.CompareAndSwap(l, nl) {
			return
		}
	}
}

// refill adds the bytes earned since the last refill. Less than a byte's
// worth of time is left to accumulate; concurrent callers refill once.
func (b *budget) refill(perMin int64, now time.Time) {
	last := b.refilled.Load()
	d := min(now.UnixNano()-last, int64(time.Minute))
	add := int64(float64(perMin) * float64(d) / float64(time.Minute))
	if add <= 0 || !b.refilled.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	b.give(perMin, add)
}

// give adds n bytes to the level, up to a minute's worth.
func (b *budget) give(perMin, n int64) {
	for {
		l := b.level.Load()
		if b.level.CompareAndSwap(l, min(perMin, l+n)) {
			return
		}
	}
}

// available reports whether a free response may start now.
func (b *budget) available(now time.Time) bool {
	perMin := b.perMin.Load()
	if perMin == 0 {
		return true
	}
	b.refill(perMin, now)
	return b.level.Load() >= startAt(perMin)
}

// startAt is the level a free response needs to start: a chunk's worth
// (or the whole budget, if smaller), so that a trickle of refill does not
// start responses only to cut them a few bytes in.
func startAt(perMin int64) int64 { return min(reserveChunk, perMin) }

// reserve grants up to n free bytes and returns how many (0: the budget is
// spent until the refill).
func (b *budget) reserve(now time.Time, n int64) int64 {
	perMin := b.perMin.Load()
	if perMin == 0 {
		return n
	}
	b.refill(perMin, now)
	for {
		l := b.level.Load()
		g := min(n, l)
		if g <= 0 {
			return 0
		}
		if b.level.CompareAndSwap(l, l-g) {
			return g
		}
	}
}

// release gives back n granted bytes that were not sent.
func (b *budget) release(n int64) {
	if perMin := b.perMin.Load(); n > 0 && perMin != 0 {
		b.give(perMin, n)
	}
}

// retryAfter estimates when a free response may start again.
func (b *budget) retryAfter(now time.Time) time.Duration {
	perMin := b.perMin.Load()
	if perMin == 0 {
		return 0
	}
	b.refill(perMin, now)
	short := startAt(perMin) - b.level.Load()
	if short <= 0 {
		return 0
	}
	return time.Duration(float64(short) / float64(perMin) * float64(time.Minute))
}
