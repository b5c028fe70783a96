package attention

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// key is a test identity: the meter's key of a session token.
func key(name string) identity.Key { return identity.SessionKey(sha256.Sum256([]byte(name))) }

func TestTrackerTime(t *testing.T) {
	type step struct {
		at      time.Duration // since t0
		session string
		ms      int64
		err     error
	}
	tests := []struct {
		name   string
		served time.Duration // when the meter first served the sessions, since t0
		steps  []step
	}{
		{"a fresh identity claims only slack", 0, []step{{0, "a", 2000, nil}}},
		{"a fresh identity cannot claim 10 minutes", 0, []step{{0, "a", 10 * 60 * 1000, ErrInflated}}},
		{"first report bounded by time since first served", -30 * time.Second, []step{{0, "a", 32_000, nil}}},
		{"first report beyond it", -30 * time.Second, []step{{0, "a", 32_001, ErrInflated}}},
		{"served long ago: capped at first_report", -time.Hour, []step{{0, "a", 10*60*1000 + 2000, nil}, {0, "a", 1, ErrInflated}}},
		{"served long ago: beyond the cap", -time.Hour, []step{{0, "a", 10*60*1000 + 2001, ErrInflated}}},
		{"wall time accumulates", 0, []step{{0, "a", 0, nil}, {30 * time.Second, "a", 32_000, nil}}},
		{"slack counts once, not per report", 0, []step{{0, "a", 2000, nil}, {time.Second, "a", 1000, nil},
			{2 * time.Second, "a", 1001, ErrInflated}, {2 * time.Second, "a", 1000, nil}}},
		{"two sessions are independent", 0, []step{{0, "a", 0, nil}, {0, "b", 2000, nil}, {time.Second, "a", 3000, nil}}},
		{"a refused report spends nothing", 0, []step{{0, "a", 0, nil}, {10 * time.Second, "a", 60_000, ErrInflated},
			{20 * time.Second, "a", 22_000, nil}}},
		{"a clock going back allows only what is left", 0, []step{{time.Minute, "a", 62_000, nil}, {0, "a", 1, ErrInflated}}},
		{"served in the future (skew) opens the clock now", time.Minute, []step{{0, "a", 2000, nil}, {0, "a", 1, ErrInflated}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(Limits{})
			for i, s := range tt.steps {
				k := key(s.session)
				now := t0.Add(s.at)
				if err := tr.Take(k, t0.Add(tt.served), now); err != nil {
					t.Fatalf("step %d: Take: %v", i, err)
				}
				if err := tr.Spend(k, s.ms, now); !errors.Is(err, s.err) || (s.err == nil && err != nil) {
					t.Fatalf("step %d: Spend(%d ms) = %v, want %v", i, s.ms, err, s.err)
				}
			}
		})
	}
}

func TestTrackerUnknownSession(t *testing.T) {
	tr := NewTracker(Limits{})
	if err := tr.Spend(key("never taken"), 0, t0); !errors.Is(err, ErrInflated) {
		t.Fatalf("Spend of a session never taken = %v, want ErrInflated", err)
	}
}

// TestTrackerNewSessions: fresh identities cannot open attention sessions
// faster than new_sessions per minute, all together; known sessions are
// not held back by them.
func TestTrackerNewSessions(t *testing.T) {
	tr := NewTracker(Limits{NewPerMinute: 60})
	if err := tr.Take(key("known"), t0, t0); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 60; i++ {
		if err := tr.Take(key(fmt.Sprint("fresh", i)), t0, t0); err != nil {
			t.Fatalf("new session %d of 60: %v", i, err)
		}
	}
	err := tr.Take(key("one too many"), t0, t0)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrNewSessions) || Status(err) != 429 {
		t.Fatalf("61st new session = %v, want ErrNewSessions (429)", err)
	}
	if rl.RetryAfter != time.Second {
		t.Errorf("retry after %v, want 1s at 60/minute", rl.RetryAfter)
	}
	if err := tr.Take(key("known"), t0, t0); err != nil {
		t.Errorf("a known session is held back by the new-session bound: %v", err)
	}
	if err := tr.Take(key("one too many"), t0, t0.Add(time.Second)); err != nil {
		t.Errorf("after a token refills: %v", err)
	}
}

func TestTrackerFlood(t *testing.T) {
	tr := NewTracker(Limits{Burst: 5, PerMinute: 60})
	k := key("flooder")
	for i := 0; i < 5; i++ {
		if err := tr.Take(k, t0, t0); err != nil {
			t.Fatalf("report %d of the burst: %v", i, err)
		}
	}
	err := tr.Take(k, t0, t0)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("6th report at once = %v, want ErrRateLimited", err)
	}
	if rl.RetryAfter != time.Second {
		t.Errorf("retry after %v, want 1s at 60/minute", rl.RetryAfter)
	}
	if err := tr.Take(key("other"), t0, t0); err != nil {
		t.Errorf("another session is limited too: %v", err)
	}
	if err := tr.Take(k, t0, t0.Add(999*time.Millisecond)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("before a token refills: %v", err)
	}
	if err := tr.Take(k, t0, t0.Add(time.Second)); err != nil {
		t.Errorf("after a token refills: %v", err)
	}
	// A long pause refills only up to the burst.
	later := t0.Add(time.Hour)
	for i := 0; i < 5; i++ {
		if err := tr.Take(k, t0, later); err != nil {
			t.Fatalf("burst after a pause, %d: %v", i, err)
		}
	}
	if err := tr.Take(k, t0, later); !errors.Is(err, ErrRateLimited) {
		t.Errorf("burst not capped: %v", err)
	}
}

func TestTrackerMaxSessions(t *testing.T) {
	tr := NewTracker(Limits{MaxSessions: 3, SessionTTL: time.Minute})
	for _, s := range []string{"a", "b", "c"} {
		if err := tr.Take(key(s), t0, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Take(key("d"), t0, t0.Add(time.Second)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("4th session = %v, want ErrTooMany", err)
	}
	if err := tr.Take(key("a"), t0, t0.Add(time.Second)); err != nil {
		t.Fatalf("a known session when full: %v", err)
	}
	if err := tr.Take(key("d"), t0, t0.Add(time.Minute)); err != nil {
		t.Fatalf("after b and c idled out: %v", err)
	}
	if n := tr.Len(); n != 2 {
		t.Errorf("%d sessions, want 2 (a and d)", n)
	}
}
