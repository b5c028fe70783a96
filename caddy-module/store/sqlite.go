package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpenSQLite opens (creating if needed) the SQLite store at path, in WAL
// mode with a busy timeout, through the pure-Go modernc.org/sqlite driver.
//
// synchronous is FULL: a commit returns only once the write-ahead log is
// on disk, so a payment or report the hoster acknowledged survives a power
// loss, not only a crash of the process (NORMAL, in WAL mode, can lose the
// last commits to a power loss).
func OpenSQLite(ctx context.Context, path string) (DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate"
	// One writer connection: writers queue in order in database/sql
	// (bounded by their contexts) instead of polling SQLite's lock, which
	// under many concurrent payments starved some past busy_timeout.
	// Reads use a pool of their own (WAL readers do not block the writer).
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	rdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// Readers are kept open: a new connection runs the pragmas above,
	// which under a burst of thousands of clients met the writer's lock.
	rdb.SetMaxOpenConns(maxReaders)
	rdb.SetMaxIdleConns(maxReaders)
	s := &sqlStore{db: db, rdb: rdb, d: dialect{name: "sqlite", blob: "BLOB", isUnique: sqliteUnique}}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// maxReaders bounds the SQLite store's read connections.
const maxReaders = 8

func sqliteUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code()
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
