package attention

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestTrackerTime(t *testing.T) {
	type step struct {
		at      time.Duration // since t0
		session string
		ms      int64
		err     error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first report within FirstReport", []step{{0, "a", 10 * 60 * 1000, nil}}},
		{"first report inflated", []step{{0, "a", 10*60*1000 + 1, ErrInflated}}},
		{"wall time since previous", []step{{0, "a", 0, nil}, {30 * time.Second, "a", 32_000, nil}}},
		{"inflated beyond wall + slack", []step{{0, "a", 0, nil}, {30 * time.Second, "a", 32_001, ErrInflated}}},
		{"two sessions are independent", []step{{0, "a", 0, nil}, {0, "b", 60_000, nil}, {time.Second, "a", 3000, nil}}},
		{"a refused report leaves the clock", []step{{0, "a", 0, nil}, {10 * time.Second, "a", 60_000, ErrInflated},
			{20 * time.Second, "a", 22_000, nil}}},
		{"accepted report restarts the clock", []step{{0, "a", 0, nil}, {10 * time.Second, "a", 10_000, nil},
			{11 * time.Second, "a", 3001, ErrInflated}, {11 * time.Second, "a", 3000, nil}}},
		{"a clock going back allows only slack", []step{{time.Minute, "a", 0, nil}, {0, "a", 2001, ErrInflated}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(Limits{})
			for i, s := range tt.steps {
				k := SessionKey(s.session)
				now := t0.Add(s.at)
				if err := tr.Take(k, now); err != nil {
					t.Fatalf("step %d: Take: %v", i, err)
				}
				if err := tr.Spend(k, s.ms, now); !errors.Is(err, s.err) || (s.err == nil && err != nil) {
					t.Fatalf("step %d: Spend(%d ms) = %v, want %v", i, s.ms, err, s.err)
				}
			}
		})
	}
}

func TestTrackerFlood(t *testing.T) {
	tr := NewTracker(Limits{Burst: 5, PerMinute: 60})
	k := SessionKey("flooder")
	for i := 0; i < 5; i++ {
		if err := tr.Take(k, t0); err != nil {
			t.Fatalf("report %d of the burst: %v", i, err)
		}
	}
	err := tr.Take(k, t0)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("6th report at once = %v, want ErrRateLimited", err)
	}
	if rl.RetryAfter != time.Second {
		t.Errorf("retry after %v, want 1s at 60/minute", rl.RetryAfter)
	}
	if err := tr.Take(SessionKey("other"), t0); err != nil {
		t.Errorf("another session is limited too: %v", err)
	}
	if err := tr.Take(k, t0.Add(999*time.Millisecond)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("before a token refills: %v", err)
	}
	if err := tr.Take(k, t0.Add(time.Second)); err != nil {
		t.Errorf("after a token refills: %v", err)
	}
	// A long pause refills only up to the burst.
	later := t0.Add(time.Hour)
	for i := 0; i < 5; i++ {
		if err := tr.Take(k, later); err != nil {
			t.Fatalf("burst after a pause, %d: %v", i, err)
		}
	}
	if err := tr.Take(k, later); !errors.Is(err, ErrRateLimited) {
		t.Errorf("burst not capped: %v", err)
	}
}

func TestTrackerMaxSessions(t *testing.T) {
	tr := NewTracker(Limits{MaxSessions: 3, SessionTTL: time.Minute})
	for _, s := range []string{"a", "b", "c"} {
		if err := tr.Take(SessionKey(s), t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Take(SessionKey("d"), t0.Add(time.Second)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("4th session = %v, want ErrTooMany", err)
	}
	if err := tr.Take(SessionKey("a"), t0.Add(time.Second)); err != nil {
		t.Fatalf("a known session when full: %v", err)
	}
	if err := tr.Take(SessionKey("d"), t0.Add(time.Minute)); err != nil {
		t.Fatalf("after b and c idled out: %v", err)
	}
	if n := tr.Len(); n != 2 {
		t.Errorf("%d sessions, want 2 (a and d)", n)
	}
}
