package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSchemaTooNew means the database was written by a newer release than
// this one (its schema version is above SchemaVersion). The database is
// left untouched: run the newer release, or restore a backup.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this release; run the newer release or restore a backup")

// migration is one numbered step of the schema (see migrations).
type migration struct {
	name string
	up   func(ctx context.Context, s *sqlStore, x execer) error
	// outsideTx runs up outside a transaction (SQLite's VACUUM cannot run
	// in one); its statements must be safe to run twice, as a crash
	// before the version is recorded runs them again.
	outsideTx bool
}

// versionSchema is the one-row table that holds the schema version. A
// database from before versions has none, and counts as version 0.
const versionSchema = `CREATE TABLE IF NOT EXISTS torplus_schema (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL)`

// migrate brings the database up to SchemaVersion, one step and one
// transaction at a time, or refuses one that is newer (ErrSchemaTooNew)
// before writing anything. Replicas opening one PostgreSQL database at
// once take turns on an advisory lock; SQLite's one writer serializes.
func (s *sqlStore) migrate(ctx context.Context) error {
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: %s schema version: %w", s.d.name, err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w (database version %d, this release %d)", ErrSchemaTooNew, v, SchemaVersion)
	}
	for i, m := range migrations {
		if err := s.step(ctx, i+1, m); err != nil {
			return fmt.Errorf("store: %s schema step %d (%s): %w", s.d.name, i+1, m.name, err)
		}
	}
	return nil
}

// step runs migration m as version n unless the database already has it.
func (s *sqlStore) step(ctx context.Context, n int, m migration) error {
	if m.outsideTx {
		if v, err := s.schemaVersion(ctx); err != nil || v >= n {
			return err
		}
		if err := m.up(ctx, s, s.db); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.numbered {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, versionSchema); err != nil {
			return err
		}
		v, err := readVersion(ctx, tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return ErrSchemaTooNew // a newer replica migrated meanwhile
		}
		if v >= n {
			return nil
		}
		if !m.outsideTx {
			if err := m.up(ctx, s, tx); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO torplus_schema (id, version) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version`), n)
		return err
	})
}

// schemaLock is the PostgreSQL advisory lock key migrations hold.
const schemaLock = 0x746f72706c7573 // "torplus"

// schemaVersion reads the version outside a transaction: 0 for a
// database from before versions (no torplus_schema table) or a new one.
func (s *sqlStore) schemaVersion(ctx context.Context) (int, error) {
	var exists bool
	q := `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'torplus_schema')`
	if s.d.numbered {
		q = `SELECT to_regclass('torplus_schema') IS NOT NULL`
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	return readVersion(ctx, s.db)
}

// readVersion reads the version row of an existing torplus_schema.
func readVersion(ctx context.Context, x interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	err := x.QueryRowContext(ctx, `SELECT version FROM torplus_schema WHERE id = 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// SchemaVersionOf returns the schema version of the database behind db
// (a DB opened here, or a Store wrapping one): for doctor and backups.
func SchemaVersionOf(ctx context.Context, db DB) (int, error) {
	if l, ok := db.(*Store); ok {
		db = l.DB
	}
	s, ok := db.(*sqlStore)
	if !ok {
		return 0, ErrUnsupported
	}
	return s.schemaVersion(ctx)
}
