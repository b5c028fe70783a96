package attention

import (
	"fmt"
	"sync"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

// Limits bound what one session may report.
type Limits struct {
	// Slack is added once to the wall time a session's visible time must
	// fit in, for network jitter and clock skew (default 2s).
	Slack time.Duration
	// FirstReport bounds how far back the clock of a session new to the
	// Tracker starts: at the meter's first service of the identity, but
	// never more than FirstReport ago (a session forgotten after
	// SessionTTL and back cannot claim its whole past again) (default 10m).
	FirstReport time.Duration
	// Burst is how many reports a session may send at once (default 10).
	Burst int
	// PerMinute is how many reports a session may send per minute on
	// average (default 30).
	PerMinute int
	// MaxSessions bounds the sessions kept in memory (default 100000).
	MaxSessions int
	// SessionTTL forgets sessions idle this long (default 1h).
	SessionTTL time.Duration
	// NewPerMinute bounds the sessions new to the Tracker per minute, for
	// all clients together (burst: as many): a farm of fresh identities
	// cannot open attention sessions faster (default 600).
	NewPerMinute int
}

// Defaults of Limits.
const (
	DefaultSlack       = 2 * time.Second
	DefaultFirstReport = 10 * time.Minute
	DefaultBurst       = 10
	DefaultPerMinute   = 30
	DefaultMaxSessions = 100_000
	DefaultSessionTTL  = time.Hour
	DefaultNewPerMin   = 600
)

func (l Limits) withDefaults() Limits {
	if l.Slack == 0 {
		l.Slack = DefaultSlack
	}
	if l.FirstReport == 0 {
		l.FirstReport = DefaultFirstReport
	}
	if l.Burst == 0 {
		l.Burst = DefaultBurst
	}
	if l.PerMinute == 0 {
		l.PerMinute = DefaultPerMinute
	}
	if l.MaxSessions == 0 {
		l.MaxSessions = DefaultMaxSessions
	}
	if l.SessionTTL == 0 {
		l.SessionTTL = DefaultSessionTTL
	}
	if l.NewPerMinute == 0 {
		l.NewPerMinute = DefaultNewPerMin
	}
	return l
}

// Tracker remembers, per session, the visible time it was granted against
// its wall-time clock, and its rate-limit tokens. A session is the meter's
// identity of the client (identity.Key: token, circuit or address), never
// an id the report names, so a session costs what a metered identity costs.
type Tracker struct {
	limits Limits
	mu     sync.Mutex
	m      map[identity.Key]*sessionState
	fresh  bucket // new sessions, all clients together
}

type sessionState struct {
	since  int64   // unix nanos the session's clock starts at
	spent  int64   // visible milliseconds accepted since then
	seen   int64   // unix nanos of the latest report
	tokens float64 // rate-limit tokens at seen
}

// bucket is a token bucket refilled at rate per minute up to rate.
type bucket struct {
	at     int64 // unix nanos tokens was computed at; 0: full
	tokens float64
}

// take spends one token at now or says how long until one is there.
func (b *bucket) take(now int64, rate int) (time.Duration, bool) {
	if b.at == 0 {
		b.at, b.tokens = now, float64(rate)
	}
	if now > b.at {
		b.tokens = min(b.tokens+float64(now-b.at)/float64(time.Minute)*float64(rate), float64(rate))
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / float64(rate) * float64(time.Minute)), false
	}
	b.tokens--
	return 0, true
}

// NewTracker returns a Tracker with limits (zero fields take the defaults).
func NewTracker(limits Limits) *Tracker {
	return &Tracker{limits: limits.withDefaults(), m: make(map[identity.Key]*sessionState)}
}

func (t *Tracker) setLimits(l Limits) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limits = l.withDefaults()
}

// Limits returns the limits in force.
func (t *Tracker) Limits() Limits {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limits
}

// Take spends one of the session's rate-limit tokens at now, or returns
// ErrRateLimited (with the wait) when it has none. A session new to the
// Tracker opens its clock at first (when the meter first served the
// identity), or FirstReport before now if that is later; it is
// ErrNewSessions (with the wait) when the global bound of new sessions is
// spent and ErrTooMany when the table is full.
func (t *Tracker) Take(key identity.Key, first, now time.Time) error {
	n := now.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[key]
	if s == nil {
		if len(t.m) >= t.limits.MaxSessions {
			t.sweep(n)
			if len(t.m) >= t.limits.MaxSessions {
				return ErrTooMany
			}
		}
		if wait, ok := t.fresh.take(n, t.limits.NewPerMinute); !ok {
			return &RateLimitError{Err: ErrNewSessions, RetryAfter: wait}
		}
		since := max(first.UnixNano(), n-int64(t.limits.FirstReport))
		s = &sessionState{since: min(since, n), seen: n, tokens: float64(t.limits.Burst)}
		t.m[key] = s
	}
	if n > s.seen {
		s.tokens += float64(n-s.seen) / float64(time.Minute) * float64(t.limits.PerMinute)
		s.tokens = min(s.tokens, float64(t.limits.Burst))
		s.seen = n
	}
	if s.tokens < 1 {
		wait := time.Duration((1 - s.tokens) / float64(t.limits.PerMinute) * float64(time.Minute))
		return &RateLimitError{Err: ErrRateLimited, RetryAfter: wait}
	}
	s.tokens--
	return nil
}

// Spend accepts visibleMS of visible time for the session at now if all
// the time it was granted fits in the wall time since its clock opened
// (plus Slack, once); otherwise it is ErrInflated and nothing is spent.
// A session Take has not seen is ErrInflated too.
func (t *Tracker) Spend(key identity.Key, visibleMS int64, now time.Time) error {
	n := now.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[key]
	if s == nil { // swept between Take and Spend: nothing to measure from
		return fmt.Errorf("%w: the session is unknown", ErrInflated)
	}
	allowed := (time.Duration(max(n-s.since, 0)) + t.limits.Slack).Milliseconds() - s.spent
	if visibleMS > allowed {
		return fmt.Errorf("%w: %d ms reported, %d ms allowed", ErrInflated, visibleMS, max(allowed, 0))
	}
	s.spent += visibleMS
	return nil
}

// Len returns the number of sessions in memory.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// sweep forgets sessions idle for SessionTTL; t.mu is held.
func (t *Tracker) sweep(now int64) {
	for k, s := range t.m {
		if now-s.seen >= int64(t.limits.SessionTTL) {
			delete(t.m, k)
		}
	}
}

// RateLimitError is ErrRateLimited (one session) or ErrNewSessions (all
// new sessions) with the time to wait.
type RateLimitError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %v", e.Err, e.RetryAfter.Round(time.Millisecond))
}

// Unwrap makes errors.Is(err, e.Err) true.
func (e *RateLimitError) Unwrap() error { return e.Err }
