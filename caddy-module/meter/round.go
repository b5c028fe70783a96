package meter

import (
	"math"
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
	max   int64         // sessions in memory (max_sessions)
}

// currentRound is the size of the round the session is using.
func (s *session) currentRound(p *policy) int64 {
	if s.unpaid() {
		return s.free
	}
	return p.round
}

// decide is the round state machine: what to do with a request at now.
// Bytes granted to responses in flight count as used. Grace follows a
// round that ran out: where there are free rounds, a session never allowed
// a byte (a token that found its circuit's free round spent) is asked to
// pay at once, or fresh tokens would each farm a grace period.
func (s *session) decide(now int64, p *policy) Action {
	used, allowed := s.reserved.Load(), s.limit()
	if p.free > 0 && s.allowed.Load() <= 0 {
		return Refuse
	}
	if used < allowed {
		s.graceAt.Store(0)
		// Ask by the whole allowance, not the part leased so far: with a
		// shared store a replica leases 64 KiB at a time, and every
		// response would otherwise carry the next payment request.
		round := s.currentRound(p)
		if s.allowed.Load()-used <= round-int64(math.Round(float64(round)*p.askAt)) {
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
	// With no grace, never throttle: a concurrent request that started
	// grace at a later now must not make now-g negative, and so "in grace".
	if p.grace > 0 && now-g < int64(p.grace) {
		return Throttle
	}
	return Refuse
}

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
