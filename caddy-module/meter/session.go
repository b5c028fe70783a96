package meter

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Action is what the meter does with one request of a session.
type Action uint8

// The actions, from the most to the least generous.
const (
	Serve       Action = iota // serve at full speed
	ServeAndAsk               // serve, and send the next payment request in headers
	Throttle                  // the allowance is used up: serve slowly during the grace period
	Refuse                    // grace is over: 402 Payment Required
)

func (a Action) String() string {
	return [...]string{"serve", "serve+ask", "throttle", "refuse"}[a]
}

// policy is the part of the config the round state machine needs.
type policy struct {
	free  int64         // bytes of the free first round
	round int64         // bytes of each paid round
	askAt float64       // fraction of a round after which the next request is sent
	grace time.Duration // how long a client past its allowance is throttled before 402
	prTTL time.Duration // lifetime of a payment request
	rate  int64         // throttled bandwidth, bytes per second
	idle  time.Duration // idle sessions are flushed and evicted after this
}

// session is the in-memory state of one client. It is kept small (see
// BenchmarkIdleSessionMemory): counters are atomics read on every write;
// mu guards the payment request fields.
type session struct {
	served    atomic.Int64 // body bytes sent
	allowed   atomic.Int64 // free + credited bytes
	graceAt   atomic.Int64 // unix ns when the allowance ran out; 0 while within it
	lastSeen  atomic.Int64 // unix ns of the latest request
	throttleT atomic.Int64 // unix ns until which throttled bandwidth is booked
	polledAt  atomic.Int64 // unix ns of the latest ledger check for a payment

	mu        sync.Mutex
	firstSeen int64    // unix ns
	free      int64    // free bytes granted
	rounds    int32    // rounds recorded in the ledger
	dirty     bool     // changed since last queued to the ledger
	prExpires int64    // unix ns expiry of the outstanding request; 0 if none
	pr        [32]byte // the outstanding payment request id
}

func newSession(now int64, free int64) *session {
	s := &session{firstSeen: now, free: free, rounds: 1, dirty: true}
	s.allowed.Store(free)
	s.lastSeen.Store(now)
	return s
}

// currentRound is the size of the round the session is using.
func (s *session) currentRound(p *policy) int64 {
	if s.allowed.Load() <= s.free {
		return s.free
	}
	return p.round
}

// decide is the round state machine: what to do with a request at now.
func (s *session) decide(now int64, p *policy) Action {
	used, allowed := s.served.Load(), s.allowed.Load()
	if used < allowed {
		s.graceAt.Store(0)
		round := s.currentRound(p)
		if allowed-used <= round-int64(math.Round(float64(round)*p.askAt)) {
			return ServeAndAsk
		}
		return Serve
	}
	g := s.graceAt.Load()
	if g == 0 {
		if s.graceAt.CompareAndSwap(0, now) {
			g = now
		} else {
			g = s.graceAt.Load()
		}
	}
	if now-g < int64(p.grace) {
		return Throttle
	}
	return Refuse
}

// outstanding returns the session's payment request id, issuing a new one
// (issued reports so) when there is none or it has expired.
func (s *session) outstanding(now int64, p *policy, newID func() [32]byte) (id [32]byte, expires int64, issued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prExpires <= now {
		exp := time.Unix(0, now).Add(p.prTTL).Truncate(time.Second) // as payreq.New rounds it
		s.pr, s.prExpires, issued = newID(), exp.UnixNano(), true
	}
	return s.pr, s.prExpires, issued
}

// setCredited sets the allowance to the free round plus credited bytes and,
// if that grew it, ends any grace and forgets the paid request. It returns
// how many rounds were added.
func (s *session) setCredited(credited int64, p *policy) (added int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.free + credited
	if old := s.allowed.Load(); want > old {
		s.allowed.Store(want)
		s.graceAt.Store(0)
		s.throttleT.Store(0)
		s.pr, s.prExpires = [32]byte{}, 0
		if p.round > 0 {
			added = int32((want - old + p.round - 1) / p.round)
		}
		s.rounds += added
		s.dirty = true
	}
	return added
}

// over reports whether the session has used up its allowance.
func (s *session) over() bool { return s.served.Load() >= s.allowed.Load() }

// remaining returns the bytes left in the allowance (may be ≤ 0).
func (s *session) remaining() int64 { return s.allowed.Load() - s.served.Load() }

// book reserves n throttled bytes at rate and returns how long to wait
// before sending them, so all responses of a session share one rate.
func (s *session) book(now, n, rate int64) time.Duration {
	cost := n * int64(time.Second) / rate
	for {
		t := s.throttleT.Load()
		start := max(t, now)
		if s.throttleT.CompareAndSwap(t, start+cost) {
			return time.Duration(start - now)
		}
	}
}
