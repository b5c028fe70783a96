package attention

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// Limits bound what one session may report.
type Limits struct {
	// Slack is added to the wall time since a session's previous report,
	// for network jitter (default 2s).
	Slack time.Duration
	// FirstReport bounds the visible time of a session's first report,
	// when there is no previous report to measure from (default 10m).
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
}

// Defaults of Limits.
const (
	DefaultSlack       = 2 * time.Second
	DefaultFirstReport = 10 * time.Minute
	DefaultBurst       = 10
	DefaultPerMinute   = 30
	DefaultMaxSessions = 100_000
	DefaultSessionTTL  = time.Hour
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
	return l
}

// Tracker remembers, per session, when its previous report was accepted
// and its rate-limit tokens. Sessions are kept by the SHA-256 of their id.
type Tracker struct {
	limits Limits
	mu     sync.Mutex
	m      map[[32]byte]*sessionState
}

type sessionState struct {
	accepted int64   // unix nanos of the previous accepted report; 0 if none
	seen     int64   // unix nanos of the latest report
	tokens   float64 // rate-limit tokens at seen
}

// NewTracker returns a Tracker with limits (zero fields take the defaults).
func NewTracker(limits Limits) *Tracker {
	return &Tracker{limits: limits.withDefaults(), m: make(map[[32]byte]*sessionState)}
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

// SessionKey is the key a session id is kept under.
func SessionKey(session string) [32]byte { return sha256.Sum256([]byte(session)) }

// Take spends one of the session's rate-limit tokens at now, or returns
// ErrRateLimited (with the wait) when it has none, or ErrTooMany when a new
// session finds the table full.
func (t *Tracker) Take(key [32]byte, now time.Time) error {
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
		s = &sessionState{seen: n, tokens: float64(t.limits.Burst)}
		t.m[key] = s
	}
	if n > s.seen {
		s.tokens += float64(n-s.seen) / float64(time.Minute) * float64(t.limits.PerMinute)
		s.tokens = min(s.tokens, float64(t.limits.Burst))
		s.seen = n
	}
	if s.tokens < 1 {
		wait := time.Duration((1 - s.tokens) / float64(t.limits.PerMinute) * float64(time.Minute))
		return &RateLimitError{RetryAfter: wait}
	}
	s.tokens--
	return nil
}

// Spend accepts visibleMS of visible time for the session at now if it
// fits in the wall time since the session's previous accepted report (plus
// Slack), or in FirstReport for its first; otherwise it is ErrInflated and
// the session's clock is left as it was.
func (t *Tracker) Spend(key [32]byte, visibleMS int64, now time.Time) error {
	n := now.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[key]
	if s == nil { // swept between Take and Spend
		s = &sessionState{seen: n, tokens: float64(t.limits.Burst)}
		t.m[key] = s
	}
	allowed := t.limits.FirstReport
	if s.accepted != 0 {
		allowed = time.Duration(max(n-s.accepted, 0)) + t.limits.Slack
	}
	if visibleMS > allowed.Milliseconds() {
		return fmt.Errorf("%w: %d ms reported, %d ms allowed", ErrInflated, visibleMS, allowed.Milliseconds())
	}
	s.accepted = max(s.accepted, n)
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

// RateLimitError is ErrRateLimited with the time to wait.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrRateLimited, e.RetryAfter.Round(time.Millisecond))
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }
