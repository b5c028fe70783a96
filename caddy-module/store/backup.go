package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// ErrBackupExists means the file a backup would be written to exists: a
// backup never replaces a file.
var ErrBackupExists = errors.New("store: backup file already exists")

// BackupSQLite writes a consistent copy of the SQLite database at src,
// which a running hoster may be writing, to dst (a new file, mode 0600),
// with VACUUM INTO: one read transaction, so the copy holds exactly the
// commits before it began and writers carry on meanwhile (WAL readers do
// not block the writer). Every payment acknowledged before the call is
// in the copy. A database from a newer release is refused
// (ErrSchemaTooNew): its backup is the newer release's to make.
func BackupSQLite(ctx context.Context, src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, dst)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: src}).EscapedPath() + "?_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	s := &sqlStore{db: db, rdb: db, d: dialect{name: "sqlite"}}
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: schema version: %w", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w (database version %d, this release %d)", ErrSchemaTooNew, v, SchemaVersion)
	}
	// VACUUM INTO makes dst with the process umask; make it 0600 first.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("store: backup %s: %w", src, err)
	}
	return nil
}

// CheckSQLite runs SQLite's integrity check on the database at path and
// returns its schema version, writing nothing (no migration: a backup or
// a restored copy keeps the version the hoster it came from wrote). A
// database newer than this release is ErrSchemaTooNew.
func CheckSQLite(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("store: check: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return 0, fmt.Errorf("store: check %s: %w", path, err)
	}
	if ok != "ok" {
		return 0, fmt.Errorf("store: %s fails SQLite's integrity check: %s", path, ok)
	}
	v, err := (&sqlStore{db: db, rdb: db, d: dialect{name: "sqlite"}}).schemaVersion(ctx)
	if err == nil && v > SchemaVersion {
		err = fmt.Errorf("%w (database version %d, this release %d)", ErrSchemaTooNew, v, SchemaVersion)
	}
	return v, err
}
