package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLiteCommitsAreDurable: every connection of the SQLite store runs
// in WAL mode with synchronous FULL (2), so an acknowledged commit is on
// disk, not only in the operating system's cache.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss := s.(*sqlStore)
	for i, db := range []*sql.DB{ss.db, ss.rdb} { // the writer and the readers
		var mode string
		var sync int
		if err := db.QueryRowContext(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 {
			t.Fatalf("pool %d: journal_mode %q, synchronous %d; want wal, 2 (FULL)", i, mode, sync)
		}
	}
	if n := ss.db.Stats().MaxOpenConnections; n != 1 {
		t.Fatalf("the writer pool allows %d connections, want 1 (writers queue in order)", n)
	}
}
