package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/internal/pgtest"
)

// backend opens a fresh store; reopen closes nothing and opens the same
// database again (after restarting the server where there is one).
type backend struct {
	name string
	open func(t *testing.T) (s DB, reopen func() DB)
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) (DB, func() DB) {
			path := filepath.Join(t.TempDir(), "store.db")
			open := func() DB {
				s, err := OpenSQLite(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return open(), open
		}},
		{"postgres", func(t *testing.T) (DB, func() DB) {
			srv := pgtest.Start(t)
			open := func() DB {
				s, err := OpenPostgres(context.Background(), srv.DSN)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return open(), func() DB { srv.Restart(); return open() }
		}},
	}
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// testZone is the zone of the conformance suite's payment requests.
const testZone = "site-a"

func pr(n byte, session string) PaymentRequest {
	return PaymentRequest{
		Request: payreq.Request{ID: payreq.ID{n, 1, 2, 3}, Method: payreq.Method, Destination: "GDEST", AssetCode: "TPT",
			AssetIssuer: "GISSUER", Amount: 15_000_000, NetworkPassphrase: "Test SDF Network ; September 2015",
			Bytes: 50 << 20, ExpiresAt: t0.Add(time.Hour)},
		Zone: testZone, Session: session, CreatedAt: t0, State: Pending,
	}
}

// TestConformance runs one table of behaviours against every backend.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, s DB, reopen func() DB)
	}{
		{"sessions", testSessions},
		{"rounds", testRounds},
		{"payment requests", testPaymentRequests},
		{"settle state machine", testSettle},
		{"credits stay in their zone", testZones},
		{"expiry", testExpiry},
		{"concurrent settles: one wins", testConcurrentSettle},
		{"restart loses nothing", testRestart},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s, reopen := b.open(t)
					c.run(t, s, reopen)
				})
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testSessions(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	a := Session{Key: "circuit:28", FirstSeen: t0, LastSeen: t0, BytesServed: 10, FreeBytes: 5 << 20}
	b := Session{Key: "circuit:29", FirstSeen: t0, LastSeen: t0.Add(time.Minute), BytesServed: 20}
	must(t, s.PutSessions(ctx, []Session{a, b}))
	a.LastSeen, a.BytesServed = t0.Add(2*time.Minute), 99
	a2 := a
	a2.FirstSeen = t0.Add(time.Hour) // first_seen never changes on update
	must(t, s.PutSessions(ctx, []Session{a2}))
	got, err := s.Session(ctx, a.Key)
	must(t, err)
	if got != a {
		t.Fatalf("Session = %+v, want %+v", got, a)
	}
	if _, err := s.Session(ctx, "circuit:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing session error %v, want ErrNotFound", err)
	}
	list, err := s.Sessions(ctx, t0.Add(30*time.Second), 10)
	must(t, err)
	if len(list) != 2 || list[0].Key != a.Key || list[1].Key != b.Key {
		t.Fatalf("Sessions = %+v, want a then b", list)
	}
	list, err = s.Sessions(ctx, t0, 1)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("limit 1 gave %d sessions", len(list))
	}
}

func testRounds(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	free := Round{Session: "circuit:28", N: 1, Bytes: 5 << 20, Free: true, StartedAt: t0}
	paid := Round{Session: "circuit:28", N: 2, Bytes: 50 << 20, PaymentRequest: [32]byte{9}, StartedAt: t0.Add(time.Minute)}
	must(t, s.AddRounds(ctx, []Round{free, paid}))
	dup := paid
	dup.Bytes = 1
	must(t, s.AddRounds(ctx, []Round{dup})) // kept as is
	got, err := s.Rounds(ctx, "circuit:28")
	must(t, err)
	if len(got) != 2 || got[0] != free || got[1] != paid {
		t.Fatalf("Rounds = %+v", got)
	}
}

func testPaymentRequests(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	p := pr(1, "circuit:28")
	must(t, s.PutPaymentRequests(ctx, []PaymentRequest{p, pr(2, "circuit:29")}))
	if err := s.PutPaymentRequests(ctx, []PaymentRequest{p}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate id error %v, want ErrDuplicate", err)
	}
	got, err := s.PaymentRequest(ctx, p.ID)
	must(t, err)
	if got != p {
		t.Fatalf("PaymentRequest = %+v, want %+v", got, p)
	}
	if _, err := s.PaymentRequest(ctx, [32]byte{7}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing request error %v", err)
	}
	list, err := s.PaymentRequests(ctx, Pending, 10)
	must(t, err)
	all, err2 := s.PaymentRequests(ctx, "", 10)
	must(t, err2)
	none, err3 := s.PaymentRequests(ctx, Paid, 10)
	must(t, err3)
	if len(list) != 2 || len(all) != 2 || len(none) != 0 {
		t.Fatalf("listed %d pending, %d all, %d paid; want 2, 2, 0", len(list), len(all), len(none))
	}
}

func testSettle(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	a, b := pr(1, "circuit:28"), pr(2, "circuit:28")
	must(t, s.PutPaymentRequests(ctx, []PaymentRequest{a, b}))
	now := t0.Add(time.Minute)
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"begin a", func() error { _, err := s.BeginSettle(ctx, a.ID, "tx1", now); return err }, nil},
		{"begin a again, other tx", func() error { _, err := s.BeginSettle(ctx, a.ID, "tx2", now); return err }, ErrNotPending},
		{"tx1 for b", func() error { _, err := s.BeginSettle(ctx, b.ID, "tx1", now); return err }, ErrTxSeen},
		{"unknown request", func() error { _, err := s.BeginSettle(ctx, payreq.ID{8}, "tx3", now); return err }, ErrNotFound},
		{"finish a with wrong tx", func() error { _, err := s.FinishSettle(ctx, a.ID, "tx2", now); return err }, ErrNotSettling},
		{"release a", func() error { return s.ReleaseSettle(ctx, a.ID, "tx1") }, nil},
		{"release a twice", func() error { return s.ReleaseSettle(ctx, a.ID, "tx1") }, ErrNotSettling},
		{"tx1 free again for b", func() error { _, err := s.BeginSettle(ctx, b.ID, "tx1", now); return err }, nil},
		{"finish b", func() error { _, err := s.FinishSettle(ctx, b.ID, "tx1", now); return err }, nil},
		{"finish b twice", func() error { _, err := s.FinishSettle(ctx, b.ID, "tx1", now); return err }, ErrNotSettling},
		{"begin paid b", func() error { _, err := s.BeginSettle(ctx, b.ID, "tx9", now); return err }, ErrNotPending},
		{"paid tx1 for a", func() error { _, err := s.BeginSettle(ctx, a.ID, "tx1", now); return err }, ErrTxSeen},
		{"a expired", func() error { _, err := s.BeginSettle(ctx, a.ID, "tx4", t0.Add(time.Hour)); return err }, ErrExpired},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.want) || (st.want == nil && err != nil) {
			t.Fatalf("%s: error %v, want %v", st.name, err, st.want)
		}
	}
	got, err := s.PaymentRequest(ctx, b.ID)
	must(t, err)
	if got.State != Paid || got.TxHash != "tx1" || !got.PaidAt.Equal(now) {
		t.Fatalf("b after finish = %+v", got)
	}
	credits, err := s.Credits(ctx, testZone, "circuit:28")
	must(t, err)
	want := Credit{Zone: testZone, Session: "circuit:28", PaymentRequest: b.ID, TxHash: "tx1", Bytes: b.Bytes, At: now}
	if len(credits) != 1 || credits[0] != want {
		t.Fatalf("Credits = %+v, want [%+v]", credits, want)
	}
	n, err := s.CreditedBytes(ctx, testZone, "circuit:28")
	must(t, err)
	if n != b.Bytes {
		t.Fatalf("CreditedBytes = %d, want %d", n, b.Bytes)
	}
}

func testExpiry(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	a, b := pr(1, "s"), pr(2, "s")
	b.ExpiresAt = t0.Add(2 * time.Hour)
	must(t, s.PutPaymentRequests(ctx, []PaymentRequest{a, b}))
	n, err := s.ExpirePending(ctx, t0.Add(time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	got, _ := s.PaymentRequest(ctx, a.ID)
	if got.State != Expired {
		t.Fatalf("a is %s, want expired", got.State)
	}
	if _, err := s.BeginSettle(ctx, a.ID, "tx", t0); !errors.Is(err, ErrNotPending) {
		t.Fatalf("settle of expired request: %v, want ErrNotPending", err)
	}
}

func testConcurrentSettle(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	const n = 16
	var prs []PaymentRequest
	for i := range n {
		prs = append(prs, pr(byte(i), "s"))
	}
	must(t, s.PutPaymentRequests(ctx, prs))
	race := func(attempt func(i int) error) (wins int, errs []error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := attempt(i)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		return wins, errs
	}
	// One request, n different transactions.
	wins, errs := race(func(i int) error {
		_, err := s.BeginSettle(ctx, prs[0].ID, fmt.Sprintf("same-pr-%d", i), t0)
		return err
	})
	if wins != 1 {
		t.Fatalf("same request: %d settles won, want 1 (errors %v)", wins, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrNotPending) && !errors.Is(err, ErrTxSeen) {
			t.Fatalf("losing settle error %v", err)
		}
	}
	// One transaction, n-1 different requests.
	wins, errs = race(func(i int) error {
		if i == 0 {
			return ErrNotPending // prs[0] is already settling
		}
		_, err := s.BeginSettle(ctx, prs[i].ID, "one-tx", t0)
		return err
	})
	if wins != 1 {
		t.Fatalf("same transaction: %d settles won, want 1 (errors %v)", wins, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrTxSeen) && !errors.Is(err, ErrNotPending) {
			t.Fatalf("losing settle error %v", err)
		}
	}
}

func testRestart(t *testing.T, s DB, reopen func() DB) {
	ctx := context.Background()
	sess := Session{Key: "session:ab", FirstSeen: t0, LastSeen: t0, BytesServed: 123, FreeBytes: 5}
	p := pr(1, sess.Key)
	must(t, s.PutSessions(ctx, []Session{sess}))
	must(t, s.AddRounds(ctx, []Round{{Session: sess.Key, N: 1, Bytes: 5, Free: true, StartedAt: t0}}))
	must(t, s.PutPaymentRequests(ctx, []PaymentRequest{p}))
	_, err := s.BeginSettle(ctx, p.ID, "txr", t0)
	must(t, err)
	_, err = s.FinishSettle(ctx, p.ID, "txr", t0)
	must(t, err)
	must(t, s.Close())

	s = reopen()
	got, err := s.Session(ctx, sess.Key)
	must(t, err)
	rounds, err := s.Rounds(ctx, sess.Key)
	must(t, err)
	gp, err := s.PaymentRequest(ctx, p.ID)
	must(t, err)
	credited, err := s.CreditedBytes(ctx, testZone, sess.Key)
	must(t, err)
	if got != sess || len(rounds) != 1 || gp.State != Paid || credited != p.Bytes {
		t.Fatalf("after restart: session %+v, %d rounds, request %s, %d credited", got, len(rounds), gp.State, credited)
	}
	if _, err := s.BeginSettle(ctx, pr(2, "x").ID, "txr", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown request after restart: %v", err)
	}
}

// testZones: the same session key in two zones is two sessions; a
// request keeps its zone, and its credit counts in that zone only.
func testZones(t *testing.T, s DB, _ func() DB) {
	ctx := context.Background()
	a, b := pr(1, "session:ab"), pr(2, "session:ab")
	b.Zone = "site-b"
	must(t, s.PutPaymentRequests(ctx, []PaymentRequest{a, b}))
	if got, err := s.PaymentRequest(ctx, b.ID); err != nil || got.Zone != "site-b" {
		t.Fatalf("PaymentRequest(b) = zone %q, %v", got.Zone, err)
	}
	for zone, want := range map[string]payreq.ID{testZone: a.ID, "site-b": b.ID} {
		if got, err := s.ZonePaymentRequests(ctx, zone, Pending, 10); err != nil || len(got) != 1 || got[0].ID != want {
			t.Fatalf("ZonePaymentRequests(%q) = %d requests, %v; want only %s", zone, len(got), err, want)
		}
	}
	_, err := s.BeginSettle(ctx, a.ID, "tx-a", t0)
	must(t, err)
	c, err := s.FinishSettle(ctx, a.ID, "tx-a", t0)
	must(t, err)
	if c.Zone != testZone {
		t.Fatalf("credit of zone %q, want %q", c.Zone, testZone)
	}
	for zone, want := range map[string]int64{testZone: a.Bytes, "site-b": 0, "": 0} {
		n, err := s.CreditedBytes(ctx, zone, "session:ab")
		must(t, err)
		cs, err := s.Credits(ctx, zone, "session:ab")
		must(t, err)
		if n != want || (want == 0) != (len(cs) == 0) {
			t.Errorf("zone %q: %d bytes credited in %d credits, want %d", zone, n, len(cs), want)
		}
	}
}
