package ledger

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSQLiteCommitsAreDurable: every connection of the SQLite ledger runs
// in WAL mode with synchronous FULL (2), so an acknowledged commit is on
// disk, not only in the operating system's cache.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, _, _ := SQL(s)
	db.SetMaxIdleConns(4)
	for i := 0; i < 3; i++ { // several pooled connections, each with its pragmas
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var mode string
		var sync int
		if err := conn.QueryRowContext(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 {
			t.Fatalf("connection %d: journal_mode %q, synchronous %d; want wal, 2 (FULL)", i, mode, sync)
		}
	}
}
