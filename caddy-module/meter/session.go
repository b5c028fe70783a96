package meter

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// session is the in-memory state of one client, and the one owner of its
// accounting: the handler, the writer, the sweeper and the admin API call
// its methods and never touch its fields, and its lock is taken only in
// this file. It is kept small (see BenchmarkIdleSessionMemory: 128 bytes):
// the counters read on every chunk are atomics; the rest is guarded by the
// session's stripe of sessionLocks.
//
// Allowance is reserved before bytes are sent: reserved counts the bytes
// sent plus those granted to responses in flight, and a grant never takes
// it past allowed, so a session's concurrent responses together cannot
// send more than its allowance (they move to the throttled path instead).
type session struct {
	served    atomic.Int64 // body bytes sent
	reserved  atomic.Int64 // served + granted to responses in flight
	allowed   atomic.Int64 // free + credited bytes
	graceAt   atomic.Int64 // unix ns when the allowance ran out; 0 while within it
	lastSeen  atomic.Int64 // unix ns of the latest request
	throttleT atomic.Int64 // unix ns until which throttled bandwidth is booked
	polledAt  atomic.Int64 // unix ns of the latest store check for a payment
	// leased is what this process may serve of allowed: the bytes leased
	// from a store shared by replicas (lease.go), or all of it (MaxInt64)
	// when there is one process.
	leased atomic.Int64

	free int64 // free bytes granted; set once when the session is made

	firstSeen int64    // unix ns
	prExpires int64    // unix ns expiry of the outstanding request; 0 if none
	pr        [32]byte // the outstanding payment request id
	rounds    int32    // rounds recorded in the store
	dirty     bool     // changed since last queued to the store
	// transient: no room in memory, so the session is not shared by
	// concurrent requests and must only be asked for payment. Set once,
	// before the session is shared (read without the lock).
	transient bool
}

// sessionLocks guard the sessions' non-atomic fields, striped by the
// session's address (Go's heap does not move objects): a mutex in every
// session would take it from 128 to 144 bytes, and two live sessions
// rarely share one of 1024 stripes.
var sessionLocks [1 << 10]sync.Mutex

// lock returns the mutex guarding s.
func (s *session) lock() *sync.Mutex {
	h := uint64(uintptr(unsafe.Pointer(s))) * 0x9E3779B97F4A7C15
	return &sessionLocks[h>>(64-10)]
}

// transientSession is the session of a client for whom memory has no
// room: it gets a payment request, never bytes.
func transientSession(s *session) *session {
	s.transient = true
	return s
}

func newSession(now int64, free int64) *session {
	s := &session{firstSeen: now, free: free, rounds: 1, dirty: true}
	s.allowed.Store(free)
	s.leased.Store(math.MaxInt64)
	s.lastSeen.Store(now)
	return s
}

// restoredSession is a session read back from the store: served bytes
// sent before, and the free round plus everything credited since.
func restoredSession(firstSeen, free, served, credited, now int64) *session {
	s := newSession(firstSeen, free)
	s.dirty = false
	s.served.Store(served)
	s.reserved.Store(served)
	s.allowed.Store(free + credited)
	s.lastSeen.Store(now)
	return s
}

// reserve grants up to n bytes of the allowance to a response about to send
// them, and returns how many (0: the allowance is used up). Every granted
// byte must come back through release.
func (s *session) reserve(n int64) int64 {
	for {
		r, a := s.reserved.Load(), s.limit()
		g := min(n, a-r)
		if g <= 0 {
			return 0
		}
		if s.reserved.CompareAndSwap(r, r+g) {
			return g
		}
	}
}

// release ends a grant of granted bytes of which sent were sent: they are
// counted, the rest goes back to the allowance.
func (s *session) release(granted, sent int64) {
	s.served.Add(sent)
	if granted != sent {
		s.reserved.Add(sent - granted)
	}
}

// takeFree reserves what is left of the session's free round and returns
// it; the caller releases it (as sent, when handed over to another
// session; as unsent, to give it back).
func (s *session) takeFree() int64 {
	for {
		r := s.reserved.Load()
		left := min(s.free, s.limit()) - r
		if left <= 0 {
			return 0
		}
		if s.reserved.CompareAndSwap(r, r+left) {
			return left
		}
	}
}

// spend counts n bytes sent past the allowance (throttled, during grace):
// they come out of the next round the client pays for.
func (s *session) spend(n int64) {
	s.served.Add(n)
	s.reserved.Add(n)
}

// seen records a request at now and returns the one before.
func (s *session) seen(now int64) (before int64) { return s.lastSeen.Swap(now) }

// seenGrain is how stale a session's stored last request may be: a
// response that sent no body bytes (an attention report's 204, a 304)
// changes only the session's last request, and rewriting its row for
// that on every sweep would be most of what a busy site writes. Such a
// session is marked for writing only when its last request moves into a
// new seenGrain; bytes served always mark it, and eviction writes the
// exact time. Readers of the stored time (the dashboard's sessions active
// in the last 5 minutes, the retention of never-paid sessions, a day by
// default) tolerate a minute.
const seenGrain = int64(time.Minute)

// newSeenGrain reports whether a request at now falls in another
// seenGrain than the one before it.
func newSeenGrain(before, now int64) bool { return before/seenGrain != now/seenGrain }

// changed marks the session for writing back to the store.
func (s *session) changed() {
	m := s.lock()
	m.Lock()
	s.dirty = true
	m.Unlock()
}

// limit is what this process may serve in all: the allowance, or the part
// of it leased here.
func (s *session) limit() int64 { return min(s.allowed.Load(), s.leased.Load()) }

// over reports whether the session has used up its allowance.
func (s *session) over() bool { return s.reserved.Load() >= s.limit() }

// remaining returns the bytes left in the allowance (may be ≤ 0).
func (s *session) remaining() int64 { return s.limit() - s.reserved.Load() }

// unpaid reports whether the session is still on its free round: never
// credited, so its bytes come out of the global free budget.
func (s *session) unpaid() bool { return s.allowed.Load() <= s.free }

// inFreeRound reports whether the session is unpaid with free bytes left.
func (s *session) inFreeRound() bool { return s.unpaid() && s.reserved.Load() < s.free }

// evictable reports whether the session may leave memory to make room:
// never paid, and no response of it in flight.
func (s *session) evictable() bool { return s.unpaid() && s.reserved.Load() == s.served.Load() }

// idle reports whether the session has seen no request for longer than d.
func (s *session) idle(now int64, d time.Duration) bool { return now-s.lastSeen.Load() > int64(d) }

// pollDue reports, at most once per every, that it is time to check the
// store for a payment recorded elsewhere; concurrent callers get false.
func (s *session) pollDue(now int64, every time.Duration) bool {
	last := s.polledAt.Load()
	return now-last >= int64(every) && s.polledAt.CompareAndSwap(last, now)
}

// snapshot is a consistent copy of a session's accounting, for the store
// and the admin API.
type snapshot struct {
	FirstSeen, LastSeen, GraceAt, PRExpires int64 // unix ns
	Served, Allowed, Free                   int64
	Rounds                                  int32
	PR                                      [32]byte
}

// snapshot copies the session's accounting.
func (s *session) snapshot() snapshot {
	m := s.lock()
	m.Lock()
	defer m.Unlock()
	return s.snapshotLocked()
}

func (s *session) snapshotLocked() snapshot {
	return snapshot{FirstSeen: s.firstSeen, LastSeen: s.lastSeen.Load(), GraceAt: s.graceAt.Load(),
		PRExpires: s.prExpires, Served: s.served.Load(), Allowed: s.allowed.Load(), Free: s.free,
		Rounds: s.rounds, PR: s.pr}
}

// takeDirty copies the session and reports whether it changed since the
// last call, clearing the mark.
func (s *session) takeDirty() (snapshot, bool) {
	m := s.lock()
	m.Lock()
	defer m.Unlock()
	dirty := s.dirty
	s.dirty = false
	return s.snapshotLocked(), dirty
}

// credited is what one credit did to a session: the rounds it added, the
// number of the first of them, and the payment request it paid.
type credited struct {
	added, first int32
	pr           [32]byte
}

// credit sets the allowance to the free round plus credited bytes (the
// store's total, so a repeated notice changes nothing) and, if that grew
// it, ends any grace and forgets the paid request.
func (s *session) credit(total int64, p *policy) credited {
	m := s.lock()
	m.Lock()
	defer m.Unlock()
	want := s.free + total
	old := s.allowed.Load()
	if want <= old {
		return credited{}
	}
	c := credited{first: s.rounds + 1, pr: s.pr}
	s.allowed.Store(want)
	s.graceAt.Store(0)
	s.throttleT.Store(0)
	s.pr, s.prExpires = [32]byte{}, 0
	if p.round > 0 {
		c.added = int32((want - old + p.round - 1) / p.round)
	}
	s.rounds += c.added
	s.dirty = true
	return c
}

// outstanding returns the session's payment request id, issuing a new one
// (issued reports so) when there is none or it has expired.
func (s *session) outstanding(now int64, p *policy, newID func() [32]byte) (id [32]byte, expires int64, issued bool) {
	m := s.lock()
	m.Lock()
	defer m.Unlock()
	if s.prExpires <= now {
		exp := time.Unix(0, now).Add(p.prTTL).Truncate(time.Second) // as payreq.New rounds it
		s.pr, s.prExpires, issued = newID(), exp.UnixNano(), true
	}
	return s.pr, s.prExpires, issued
}
