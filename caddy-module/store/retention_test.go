package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// day is a day of wall-clock time.
const day = 24 * time.Hour

// TestConformanceRetention: on SQLite and PostgreSQL, a retention run with
// the default ages and batches of two deletes exactly the expired requests
// past ExpiredAfter, the never-paid sessions past UnpaidAfter and the paid
// sessions past PaidHistory (with their requests, credits, rounds and
// leases), and never a pending request (expired by the clock or not, the
// expiry is ExpirePending's to mark), a settling one, their sessions, or
// paid history inside the period.
func TestConformanceRetention(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			testRetention(t, db)
		})
	}
}

// retentionCase is one session of the retention test and what must remain.
type retentionCase struct {
	key      string
	lastSeen time.Duration // before now
	request  string        // "", "pending", "overdue", "settling", "paid", "expired"
	ago      time.Duration // the request's expiry, or payment, before now
	kept     bool          // the session and its rounds stay
	keptReq  bool          // its request (and credit) stay
}

func testRetention(t *testing.T, db DB) {
	ctx := context.Background()
	now := t0.Add(500 * day)
	cases := []retentionCase{
		{"session:pending", 500 * day, "pending", -time.Hour, true, true},
		{"session:settling", 500 * day, "settling", 450 * day, true, true},
		{"session:expired-recently", 500 * day, "expired", 6 * day, false, true}, // an unpaid session
		{"session:expired-long-ago", 500 * day, "expired", 8 * day, false, false},
		{"session:paid-in-period", 399 * day, "paid", 399 * day, true, true},
		{"session:paid-past-period", 401 * day, "paid", 401 * day, false, false},
		{"session:paid-active", time.Minute, "paid", 450 * day, true, true},
		{"session:paid-by-wallet-later", 450 * day, "paid", 10 * day, true, true}, // credited long after its last visit
		{"circuit:recent", 23 * time.Hour, "", 0, true, false},
	}
	for i := range 5 { // more than one batch of never-paid sessions
		cases = append(cases, retentionCase{fmt.Sprintf("circuit:idle-%d", i), 25 * time.Hour, "", 0, false, false})
	}
	// Last, or the ExpirePending calls of the expired cases would mark it.
	cases = append(cases, retentionCase{"session:overdue", 500 * day, "overdue", 30 * day, true, true})
	for i, c := range cases {
		seed(t, db, byte(60+i), c, now)
	}
	w := db.(LedgerWatch)
	must(t, w.RecordSubmission(ctx, "old-submission", pr(1, "").ID, "replay-old", now.Add(-401*day)))
	must(t, w.RecordSubmission(ctx, "recent-submission", pr(2, "").ID, "replay-recent", now.Add(-399*day)))
	for key, ago := range map[string]time.Duration{"old-sighting": 401 * day, "recent-sighting": 399 * day} {
		_, err := w.RecordSighting(ctx, Sighting{Key: key, Zone: testZone, TxHash: key, Ledger: 1, ClosedAt: now.Add(-ago),
			From: "G", Amount: 1, Verdict: SightingLate, SeenAt: now.Add(-ago)})
		must(t, err)
	}
	p, err := db.(Pruner).Prune(ctx, Retention{Batch: 2}, now)
	must(t, err)
	want := Pruned{Expired: 1, Unpaid: 7, Paid: 1, Requests: 1, Credits: 1, Submissions: 1, Sightings: 1}
	if seen, err := w.Sightings(ctx, testZone, "", 10); err != nil || len(seen) != 1 || seen[0].Key != "recent-sighting" {
		t.Errorf("sightings kept: %+v, %v; want the recent one only", seen, err)
	}
	for tx, kept := range map[string]bool{"old-submission": false, "recent-submission": true} {
		if got, err := w.Submitted(ctx, tx); err != nil || got != kept {
			t.Errorf("submission %s remembered: %v, %v; want %v", tx, got, err, kept)
		}
	}
	if p != want {
		t.Errorf("pruned %+v, want %+v", p, want)
	}
	for i, c := range cases {
		_, serr := db.Session(ctx, c.key)
		if kept := serr == nil; kept != c.kept || (serr != nil && !errors.Is(serr, ErrNotFound)) {
			t.Errorf("%s: session err %v, want kept %v", c.key, serr, c.kept)
		}
		if rs, err := db.Rounds(ctx, c.key); err != nil || (len(rs) > 0) != c.kept {
			t.Errorf("%s: rounds %v, %v; want kept %v", c.key, rs, err, c.kept)
		}
		if c.request == "" {
			continue
		}
		_, perr := db.PaymentRequest(ctx, pr(byte(60+i), "").ID)
		if kept := perr == nil; kept != c.keptReq || (perr != nil && !errors.Is(perr, ErrNotFound)) {
			t.Errorf("%s: request err %v, want kept %v", c.key, perr, c.keptReq)
		}
		if c.request == "paid" {
			n, err := db.CreditedBytes(ctx, testZone, c.key)
			if must(t, err); (n > 0) != c.keptReq {
				t.Errorf("%s: %d bytes credited, want kept %v", c.key, n, c.keptReq)
			}
		}
	}
	// A second run finds nothing more.
	if p, err := db.(Pruner).Prune(ctx, Retention{Batch: 2}, now); err != nil || p != (Pruned{}) {
		t.Errorf("second run pruned %+v, %v", p, err)
	}
}

// seed stores c's session (with a round) and request, as of now.
func seed(t *testing.T, db DB, n byte, c retentionCase, now time.Time) {
	ctx := context.Background()
	seen := now.Add(-c.lastSeen)
	must(t, db.PutSessions(ctx, []Session{{Key: c.key, FirstSeen: seen, LastSeen: seen, FreeBytes: 100}}))
	must(t, db.AddRounds(ctx, []Round{{Session: c.key, N: 1, Bytes: 100, Free: true, StartedAt: seen}}))
	if c.request == "" {
		return
	}
	p := pr(n, c.key)
	at := now.Add(-c.ago)
	p.CreatedAt, p.ExpiresAt = at.Add(-time.Hour), at
	if c.request == "paid" || c.request == "settling" {
		p.ExpiresAt = at.Add(time.Hour)
	}
	must(t, db.PutPaymentRequests(ctx, []PaymentRequest{p}))
	hash := fmt.Sprintf("%064x", n)
	switch c.request {
	case "expired":
		if _, err := db.ExpirePending(ctx, at); err != nil {
			t.Fatal(err)
		}
	case "paid", "settling":
		if _, err := db.BeginSettle(ctx, p.ID, hash, at); err != nil {
			t.Fatal(err)
		}
		if c.request == "paid" {
			if _, err := db.FinishSettle(ctx, p.ID, hash, at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAcquiredStoreRetains: a Store opened by Acquire prunes on its own
// schedule, off any request, and stops doing so at its last Release.
func TestAcquiredStoreRetains(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DSN: t.TempDir() + "/store.db", Retention: Retention{Every: caddy.Duration(10 * time.Millisecond)}}
	l, err := Acquire(ctx, cfg, func(err error) { t.Errorf("retention: %v", err) })
	must(t, err)
	old := time.Now().Add(-2 * day)
	must(t, l.DB.PutSessions(ctx, []Session{{Key: "circuit:gone", FirstSeen: old, LastSeen: old}}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := l.Session(ctx, "circuit:gone"); errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle never-paid session still there after 30 s of 10 ms retention runs")
		}
		time.Sleep(10 * time.Millisecond)
	}
	must(t, l.Release())
	if l.retainStop != nil {
		t.Error("the retention goroutine outlived the last Release")
	}
}

// TestRetentionVacuumsSQLite: after a run that deleted many rows, SQLite's
// free pages went back to the file system (incremental vacuum): the file
// shrank and its free list is short.
func TestRetentionVacuumsSQLite(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/store.db"
	db, err := OpenSQLite(ctx, path)
	must(t, err)
	defer db.Close()
	var ss []Session
	for i := range 20_000 {
		ss = append(ss, Session{Key: fmt.Sprintf("circuit:%d:%s", i, strings.Repeat("x", 64)), FirstSeen: t0, LastSeen: t0})
	}
	must(t, db.PutSessions(ctx, ss))
	raw, _, _ := SQL(db)
	size := func() (pages, free int64) {
		must(t, raw.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
		must(t, raw.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free))
		return pages, free
	}
	before, _ := size()
	p, err := db.(Pruner).Prune(ctx, Retention{}, t0.Add(30*day))
	if err != nil || p.Unpaid != 20_000 {
		t.Fatalf("pruned %+v, %v", p, err)
	}
	after, free := size()
	if after > before/4 || free > 16 {
		t.Errorf("%d pages before, %d after with %d free: the deleted rows' pages were not given back", before, after, free)
	}
}
