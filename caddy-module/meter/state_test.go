package meter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// newTestState builds a zone state over a SQLite ledger with a fake clock.
func newTestState(t *testing.T, clock *fakeClock) *state {
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	l := store.New(db, time.Hour, func(err error) { t.Error(err) })
	t.Cleanup(func() { l.Close() })
	st := &state{table: newTable(), budget: newBudget(0, clock.Now()), metrics: newMetrics("t"),
		store: l, log: zap.NewNop()}
	st.policy.Store(testPolicy)
	st.setClock(clock)
	return st
}

// TestIdleEvictionKeepsState: idle sessions leave memory only after being
// written to the ledger, and come back from it with their counts.
func TestIdleEvictionKeepsState(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	st := newTestState(t, clock)
	idle, busy := identity.CircuitKey(1, 1), identity.CircuitKey(1, 2)
	for _, k := range []identity.Key{idle, busy} {
		s := st.table.add(k, newSession(clock.Now().UnixNano(), testPolicy.free))
		s.spend(77)
	}
	clock.Advance(testPolicy.idle - time.Second)
	st.table.get(busy).lastSeen.Store(clock.Now().UnixNano())
	clock.Advance(2 * time.Second) // idle is now past the timeout, busy is not
	st.flushSessions(true)
	if st.table.get(idle) != nil || st.table.get(busy) == nil || st.table.len() != 1 {
		t.Fatalf("after sweep: idle in memory %v, busy in memory %v, %d sessions",
			st.table.get(idle) != nil, st.table.get(busy) != nil, st.table.len())
	}
	if err := st.store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := st.load(ctx, idle)
	if err != nil || s == nil || s.served.Load() != 77 || s.allowed.Load() != testPolicy.free {
		t.Fatalf("evicted session restored as %+v, %v", s, err)
	}
	if s, _ := st.load(ctx, identity.CircuitKey(1, 3)); s != nil {
		t.Fatal("unknown client loaded from the ledger")
	}
}

// TestSweepExpiresRequests: the sweeper expires overdue payment requests in the ledger.
func TestSweepExpiresRequests(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	st := newTestState(t, clock)
	st.store.QueuePaymentRequest(store.PaymentRequest{Request: payreq.Request{ID: payreq.ID{1}, Destination: "G",
		AssetCode: "TPT", AssetIssuer: "G", Amount: 1, NetworkPassphrase: "n", Bytes: 1, ExpiresAt: clock.Now().Add(time.Minute)},
		Zone: st.name, Session: sessionKey(st.name, identity.CircuitKey(identity.EpochOf("127.0.0.1:0"), 1)), CreatedAt: clock.Now()})
	clock.Advance(time.Minute)
	st.expireRequests(ctx)
	p, err := st.store.PaymentRequest(ctx, payreq.ID{1})
	if err != nil || p.State != store.Expired {
		t.Fatalf("request after expiry sweep: %s, %v", p.State, err)
	}
}

// TestSessionRowRewrittenOnChange: a response that sends no body (an
// attention report's 204) does not rewrite its session's row on the next
// sweep, unless its request moved the last-seen time into a new minute;
// one that sends bytes always does, and eviction writes the exact time.
func TestSessionRowRewrittenOnChange(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 22, 10, 0, 10, 0, time.UTC)
	clock := &fakeClock{t: start}
	st := newTestState(t, clock)
	st.name = "z"
	h := &Handler{Price: "1", Destination: testDest, AssetIssuer: testIssuer, FreeRound: 1 << 20, FreeBytesPerMinute: -1}
	h.prepare()
	h.log, h.st = zap.NewNop(), st
	st.policy.Store(h.policy)
	key := identity.CircuitKey(identity.EpochOf("127.0.0.1:0"), 28)
	stored := func() store.Session {
		t.Helper()
		if err := st.store.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		row, err := st.store.Session(ctx, sessionKey(st.name, key))
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	steps := []struct {
		name      string
		advance   time.Duration
		body      int
		wantSeen  time.Time // the stored last request after the sweep
		wantBytes int64
	}{
		{"the first response, with a body", 0, 100, start, 100},
		{"a bodiless response in the same minute: not rewritten", 20 * time.Second, 0, start, 100},
		{"a response with a body: rewritten", time.Second, 10, start.Add(21 * time.Second), 110},
		{"a bodiless response in the same minute again", 5 * time.Second, 0, start.Add(21 * time.Second), 110},
		{"a bodiless response in the next minute: rewritten", 30 * time.Second, 0, start.Add(56 * time.Second), 110},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			if s.body == 0 {
				w.WriteHeader(http.StatusNoContent)
				return nil
			}
			_, err := w.Write(make([]byte, s.body))
			return err
		})
		r := httptest.NewRequest("POST", "/report", nil)
		r.RemoteAddr = "[" + circuitAddr(28) + "]:28"
		if err := h.ServeHTTP(&discard{h: http.Header{}}, r, next); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		st.flushSessions(true)
		if row := stored(); !row.LastSeen.Equal(s.wantSeen) || row.BytesServed != s.wantBytes {
			t.Fatalf("%s: stored last seen %v, %d bytes; want %v, %d", s.name, row.LastSeen, row.BytesServed, s.wantSeen, s.wantBytes)
		}
	}
	clock.Advance(5 * time.Second)
	r := httptest.NewRequest("POST", "/report", nil)
	r.RemoteAddr = "[" + circuitAddr(28) + "]:28"
	last := clock.Now()
	if err := h.ServeHTTP(&discard{h: http.Header{}}, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })); err != nil {
		t.Fatal(err)
	}
	clock.Advance(h.policy.idle + time.Second)
	st.flushSessions(true)
	if row := stored(); !row.LastSeen.Equal(last) || st.table.get(key) != nil {
		t.Fatalf("evicted: stored last seen %v, want the exact %v (in memory: %v)", row.LastSeen, last, st.table.get(key) != nil)
	}
}
