package meter

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

// fakeClock is a Clock tests move by hand. Sleep records the wait and
// returns at once without moving the clock; its ticker never ticks.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	return ctx.Err() == nil
}

func (c *fakeClock) NewTicker(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }

var testPolicy = &policy{free: 100, round: 1000, askAt: 0.8, grace: 10 * time.Second,
	prTTL: time.Minute, rate: 1000, idle: time.Hour}

// TestRoundStateMachine walks one session through its rounds: each step
// moves the clock, sends bytes and maybe credits a payment, then checks
// the action for the next request.
func TestRoundStateMachine(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s := newSession(clock.Now().UnixNano(), testPolicy.free)
	steps := []struct {
		name     string
		wait     time.Duration
		send     int64
		credited int64 // total credited bytes after this step (0: no change)
		want     Action
	}{
		{"new session serves", 0, 0, 0, Serve},
		{"79% of free round", 0, 79, 0, Serve},
		{"80% of free round asks", 0, 1, 0, ServeAndAsk},
		{"99% still asks", time.Second, 19, 0, ServeAndAsk},
		{"free round used: throttle", 0, 1, 0, Throttle},
		{"grace continues", 9 * time.Second, 0, 0, Throttle},
		{"grace over: refuse", time.Second, 0, 0, Refuse},
		{"still refused later", time.Hour, 0, 0, Refuse},
		{"paid one round: serve", 0, 0, 1000, Serve},
		{"79% of paid round", 0, 790, 0, Serve},
		{"80% of paid round asks", 0, 10, 0, ServeAndAsk},
		{"overshoot throttles again", 0, 500, 0, Throttle},
		{"grace restarts from the new exhaustion", 5 * time.Second, 0, 0, Throttle},
		{"paid two rounds while throttled", 0, 0, 3000, Serve},
		{"just short of 80% of the last round", 0, 1499, 0, Serve}, // 1400 served of 3100
		{"asks at 80% of the last round", 0, 1, 0, ServeAndAsk},
	}
	for _, st := range steps {
		clock.Advance(st.wait)
		s.spend(st.send)
		if st.credited != 0 {
			s.credit(st.credited, testPolicy)
		}
		if got := s.decide(clock.Now().UnixNano(), testPolicy); got != st.want {
			t.Fatalf("%s: served %d of %d: got %v, want %v", st.name, s.served.Load(), s.allowed.Load(), got, st.want)
		}
	}
	if r := s.snapshot().Rounds; r != 1+1+2 {
		t.Fatalf("rounds = %d, want 4 (free + 1 + 2 paid)", r)
	}
}

func TestOutstandingRequest(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s := newSession(clock.Now().UnixNano(), 100)
	n := byte(0)
	newID := func() [32]byte { n++; return [32]byte{n} }
	id1, exp1, issued := s.outstanding(clock.Now().UnixNano(), testPolicy, newID)
	if !issued || id1 != [32]byte{1} || time.Unix(0, exp1).Sub(clock.Now()) != time.Minute {
		t.Fatalf("first request: %x %v %v", id1[:1], issued, time.Unix(0, exp1))
	}
	clock.Advance(59 * time.Second)
	if id, _, issued := s.outstanding(clock.Now().UnixNano(), testPolicy, newID); issued || id != id1 {
		t.Fatalf("request reissued before expiry")
	}
	clock.Advance(time.Second)
	if id, _, issued := s.outstanding(clock.Now().UnixNano(), testPolicy, newID); !issued || id != [32]byte{2} {
		t.Fatalf("expired request not replaced")
	}
	s.credit(1000, testPolicy)
	if id, _, issued := s.outstanding(clock.Now().UnixNano(), testPolicy, newID); !issued || id != [32]byte{3} {
		t.Fatalf("paid request not replaced by a new one")
	}
	if s.credit(1000, testPolicy).added != 0 {
		t.Fatal("a repeated credit notice added rounds")
	}
}

func TestThrottleBooking(t *testing.T) {
	s := newSession(0, 0)
	now := int64(time.Second)
	waits := []time.Duration{
		s.book(now, 500, 1000), // starts at once, books 0.5s
		s.book(now, 500, 1000), // waits for the first
		s.book(now+int64(2*time.Second), 1000, 1000),
	}
	want := []time.Duration{0, 500 * time.Millisecond, 0}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("booking %d waits %v, want %v", i, waits[i], want[i])
		}
	}
}

// TestFreeBudget: reservations never take the level below zero, what is
// not sent comes back, and the bucket refills with time.
func TestFreeBudget(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	b := newBudget(600_000, t0) // 10,000 bytes per second; a response starts at 64 KiB
	steps := []struct {
		at      time.Duration
		reserve int64
		give    int64 // given back after the reservation
		granted int64
		avail   bool
	}{
		{0, 0, 0, 0, true},
		{0, 500_000, 0, 500_000, true},
		{0, 200_000, 0, 100_000, false}, // only what is left
		{0, 100, 0, 0, false},           // never below zero
		{0, 0, 70_000, 0, true},         // unsent bytes come back
		{0, 10_000, 0, 10_000, false},   // less than a chunk left: no new response
		{time.Second, 0, 0, 0, true},    // 10,000 bytes back
		{time.Second, 70_000, 0, 70_000, false},
		{time.Hour, 1 << 30, 0, 600_000, false}, // at most a minute's worth
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		if g := b.reserve(now, st.reserve); g != st.granted {
			t.Fatalf("step %d: reserve(%d) = %d, want %d", i, st.reserve, g, st.granted)
		}
		b.release(st.give)
		if got := b.available(now); got != st.avail {
			t.Fatalf("step %d: available = %v, want %v", i, got, st.avail)
		}
	}
	if d := b.retryAfter(t0.Add(time.Hour)); d < 6*time.Second || d > 7*time.Second {
		t.Fatalf("retryAfter = %v, want about 6.5 s (64 KiB at 10,000 B/s)", d)
	}
	if u := newBudget(0, t0); !u.available(t0) || u.reserve(t0, 1<<40) != 1<<40 {
		t.Fatal("unbounded budget refused")
	}
}

// BenchmarkIdleSessionMemory holds one million idle sessions in the table
// and reports the memory each costs (target ≤ 256 bytes) as B/session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for range b.N {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				t := newTable()
				for i := range uint32(n) {
					t.add(identity.CircuitKey(1, i), newSession(int64(i), 5_000_000))
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/session")
				runtime.KeepAlive(t)
			}
		})
	}
}

// TestLeasedSessionAsksByItsAllowance: a session on a shared store leases
// its allowance a chunk at a time; it is asked for the next payment by
// what its round has left, not by what the current lease has left (which
// would put a payment request on every response).
func TestLeasedSessionAsksByItsAllowance(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	s := newSession(now, testPolicy.free)
	s.credit(1000, testPolicy) // a paid round of 1000 after the free round
	s.startLeasing()
	s.addLease(50)
	steps := []struct {
		name string
		send int64
		want Action
	}{
		{"lease of 50 of a 1100 allowance: serve", 0, Serve},
		{"lease nearly spent, round mostly left: still serve", 40, Serve},
	}
	for _, st := range steps {
		if g := s.reserve(st.send); g != st.send {
			t.Fatalf("%s: reserved %d of %d", st.name, g, st.send)
		}
		if got := s.decide(now, testPolicy); got != st.want {
			t.Fatalf("%s: reserved %d, leased %d, allowed %d: got %v, want %v",
				st.name, s.reserved.Load(), s.leased.Load(), s.allowed.Load(), got, st.want)
		}
	}
}
