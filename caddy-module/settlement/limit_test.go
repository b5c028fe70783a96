package settlement

import (
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// TestLimiter pins the failure windows: per request and per client, each
// counted on its own, refused while full, forgotten when the window ends.
func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	a, b := payreq.ID{1}, payreq.ID{2}
	type step struct {
		fail    bool // record a failure, else ask whether limited
		id      payreq.ID
		client  string
		at      time.Duration
		limited bool
		wait    time.Duration // the Retry-After a limited answer gives
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"per request, fresh clients", []step{
			{fail: true, id: a, client: "c1"}, {fail: true, id: a, client: "c2"},
			{id: a, client: "c3", at: time.Second, limited: true, wait: 59 * time.Second},
			{id: b, client: "c3", at: time.Second}, // another request is not limited
			{id: a, client: "c3", at: time.Minute}, // the window ended
		}},
		{"per client, fresh requests", []step{
			{fail: true, id: a, client: "c"}, {fail: true, id: b, client: "c"}, {fail: true, id: payreq.ID{3}, client: "c"},
			{id: payreq.ID{4}, client: "c", at: 30 * time.Second, limited: true, wait: 30 * time.Second},
			{id: payreq.ID{4}, client: "other", at: 30 * time.Second},
		}},
		{"under the limits", []step{
			{fail: true, id: a, client: "c"},
			{id: a, client: "c"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(Limits{PerRequest: 2, PerClient: 3, Window: caddy.Duration(time.Minute)}.withDefaults())
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				if s.fail {
					l.failed(s.id, s.client, now)
					continue
				}
				wait, limited := l.limited(s.id, s.client, now)
				if limited != s.limited || wait != s.wait {
					t.Fatalf("step %d: limited %v for %v, want %v for %v", i, limited, wait, s.limited, s.wait)
				}
			}
		})
	}
}

// TestLimiterFailsClosedWhenFull: past maxTracked keys with open windows,
// every payment is refused rather than memory growing.
func TestLimiterFailsClosedWhenFull(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Limits{}.withDefaults())
	for i := 0; len(l.m) < maxTracked; i++ {
		l.failed(payreq.ID{byte(i), byte(i >> 8), byte(i >> 16)}, "flood", t0)
	}
	if _, limited := l.limited(payreq.ID{0xff, 0xff, 0xff, 1}, "honest", t0); !limited {
		t.Fatal("a full limiter let a payment be verified")
	}
	if _, limited := l.limited(payreq.ID{0xff, 0xff, 0xff, 1}, "honest", t0.Add(time.Minute)); limited {
		t.Fatal("the limiter stayed full after every window ended")
	}
}
