package attention

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

// TestStoreRetentionPrunesAttention: the store's retention, on SQLite and
// a real PostgreSQL, deletes a pruned session's per-round attention with
// it and per-day attention older than the paid history, and keeps the
// rest: attention is bounded like the store's own tables.
func TestStoreRetentionPrunesAttention(t *testing.T) {
	const day = 24 * time.Hour
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	dbs := []struct {
		name string
		open func(t *testing.T) (store.DB, error)
	}{
		{"sqlite", func(t *testing.T) (store.DB, error) {
			return store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
		}},
		{"postgres", func(t *testing.T) (store.DB, error) {
			return store.OpenPostgres(context.Background(), pgtest.Start(t).DSN)
		}},
	}
	for _, d := range dbs {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := d.open(t)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			raw, driver, _ := store.SQL(db)
			as, err := NewSQLStore(ctx, raw, driver)
			if err != nil {
				t.Fatal(err)
			}
			// Two sessions that paid long ago, one last seen inside the
			// paid history, one past it; neither has anything payable.
			for i, key := range []string{"z/session:kept", "z/session:gone"} {
				seen := now.Add(-time.Duration(399+2*i) * day)
				id := payreq.ID{byte(i + 1)}
				pr := store.PaymentRequest{Request: payreq.Request{ID: id, Method: payreq.Method, Destination: "GDEST",
					AssetCode: "TPT", AssetIssuer: "GISSUER", Amount: 10_000_000, NetworkPassphrase: "Test SDF Network ; September 2015",
					Bytes: 1 << 20, ExpiresAt: seen.Add(time.Hour)}, Zone: "z", Session: key, CreatedAt: seen, State: store.Pending}
				hash := fmt.Sprintf("%064x", i+1)
				err := db.PutSessions(ctx, []store.Session{{Key: key, FirstSeen: seen, LastSeen: seen}})
				if err == nil {
					err = db.PutPaymentRequests(ctx, []store.PaymentRequest{pr})
				}
				if err == nil {
					_, err = db.BeginSettle(ctx, id, hash, seen)
				}
				if err == nil {
					_, err = db.FinishSettle(ctx, id, hash, seen)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			today := Day(now.Unix() / 86400)
			err = as.Add(ctx,
				[]Daily{{Site: "s", Day: today - 401, Path: "/old", VisibleMS: 1, Reports: 1}, {Site: "s", Day: today - 399, Path: "/recent", VisibleMS: 1, Reports: 1}},
				[]PageRound{{Site: "s", Session: "z/session:kept", Round: 2, Path: "/", VisibleMS: 5, Reports: 1}, {Site: "s", Session: "z/session:gone", Round: 2, Path: "/", VisibleMS: 5, Reports: 1}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := db.(store.Pruner).Prune(ctx, store.Retention{}, now)
			if err != nil {
				t.Fatal(err)
			}
			if p.Paid != 1 || p.Dependent != 2 {
				t.Errorf("pruned %+v; want one paid session and two attention rows (its round, the old day)", p)
			}
			for session, n := range map[string]int{"z/session:kept": 1, "z/session:gone": 0} {
				if rs, err := as.PageRounds(ctx, "s", session); err != nil || len(rs) != n {
					t.Errorf("%s: %d attention rounds, %v; want %d", session, len(rs), err, n)
				}
			}
			if days, err := as.Days(ctx, "s", today-500, today+1); err != nil || len(days) != 1 || days[0].Path != "/recent" {
				t.Errorf("days kept: %+v, %v; want /recent only", days, err)
			}
		})
	}
}
