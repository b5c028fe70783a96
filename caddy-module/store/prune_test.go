package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// TestConformancePrune: on SQLite and PostgreSQL, pruning deletes exactly
// the idle sessions that never paid and have nothing payable, with their
// rounds, and keeps everyone whose money is or may be in the store.
func TestConformancePrune(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			testPrune(t, db)
		})
	}
}

func testPrune(t *testing.T, db DB) {
	ctx := context.Background()
	old, recent := t0, t0.Add(2*time.Hour)
	sess := func(key string, seen time.Time) Session {
		return Session{Key: key, FirstSeen: old, LastSeen: seen, BytesServed: 10, FreeBytes: 100}
	}
	must(t, db.PutSessions(ctx, []Session{
		sess("circuit:1", old), sess("circuit:2", recent), sess("session:paid", old),
		sess("session:pending", old), sess("session:settling", old), sess("session:expired", old),
	}))
	for _, k := range []string{"circuit:1", "circuit:2", "session:paid"} {
		must(t, db.AddRounds(ctx, []Round{{Session: k, N: 1, Bytes: 100, Free: true, StartedAt: old}}))
	}
	prs := map[string]PaymentRequest{}
	for i, k := range []string{"session:paid", "session:pending", "session:settling", "session:expired"} {
		p := pr(byte(40+i), k)
		prs[k] = p
		must(t, db.PutPaymentRequests(ctx, []PaymentRequest{p}))
	}
	hash := func(k string) string { return "cafe" + k[len("session:"):] }
	for _, k := range []string{"session:paid", "session:settling"} {
		if _, err := db.BeginSettle(ctx, prs[k].ID, hash(k), t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.FinishSettle(ctx, prs["session:paid"].ID, hash("session:paid"), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExpirePending(ctx, t0.Add(3*time.Hour)); err != nil { // session:pending's too
		t.Fatal(err)
	}
	// Re-issue a payable request for session:pending (the expired one went).
	p := pr(50, "session:pending")
	p.ExpiresAt = t0.Add(24 * time.Hour)
	must(t, db.PutPaymentRequests(ctx, []PaymentRequest{p}))

	pruned, err := db.(Pruner).Prune(ctx, Retention{UnpaidAfter: caddy.Duration(24 * time.Hour)}, t0.Add(25*time.Hour))
	if err != nil || pruned.Unpaid != 2 {
		t.Fatalf("pruned %+v, %v; want 2 unpaid sessions (circuit:1, session:expired)", pruned, err)
	}
	tests := []struct {
		key  string
		kept bool
	}{
		{"circuit:1", false},       // idle, never paid
		{"session:expired", false}, // its only request expired unpaid
		{"circuit:2", true},        // seen recently
		{"session:paid", true},     // has a credit
		{"session:pending", true},  // a payable request
		{"session:settling", true}, // a payment in flight
	}
	for _, tt := range tests {
		_, err := db.Session(ctx, tt.key)
		if kept := err == nil; kept != tt.kept || (err != nil && !errors.Is(err, ErrNotFound)) {
			t.Errorf("%s: Session err = %v, want kept %v", tt.key, err, tt.kept)
		}
	}
	if rs, err := db.Rounds(ctx, "circuit:1"); err != nil || len(rs) != 0 {
		t.Errorf("rounds of a pruned session: %v, %v", rs, err)
	}
	if rs, err := db.Rounds(ctx, "session:paid"); err != nil || len(rs) != 1 {
		t.Errorf("rounds of a paid session: %v, %v", rs, err)
	}
}
