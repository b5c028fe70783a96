package meter

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// stopCaddy stops the site (the handler, its watcher and the store).
func stopCaddy(t *testing.T) {
	t.Helper()
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
}

// zoneDB opens the zone's store file beside the running site's.
func zoneDB(t *testing.T, r *rpcSite, zone string) store.DB {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(r.dir, "..", zone+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// rewindCursor stops the site and sets the zone's watcher cursor back to
// the first ledger, as if it had crashed before saving any.
func rewindCursor(t *testing.T, r *rpcSite, zone string) {
	t.Helper()
	stopCaddy(t)
	db := zoneDB(t, r, zone)
	if err := db.(store.LedgerWatch).SaveCursor(context.Background(), zone, protocol.Cursor{Ledger: 1}.String()); err != nil {
		t.Fatal(err)
	}
}

// assertCredits checks that pr was credited exactly n times.
func assertCredits(t *testing.T, r *rpcSite, pr payreq.Request, n int) {
	t.Helper()
	sqldb, _, ok := store.SQL(zoneDB(t, r, r.zone))
	if !ok {
		t.Fatal("the zone's store is not SQL")
	}
	var got int
	if err := sqldb.QueryRow(`SELECT COUNT(*) FROM torplus_credits WHERE payment_request = ?`, pr.ID[:]).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("request %s credited %d times, want %d", pr.ID, got, n)
	}
}
