package meter

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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
		store: l, policy: testPolicy, log: zap.NewNop()}
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
