package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema's numbered steps, oldest first: step i+1
// brings a database from version i to i+1. A change to the schema is
// always a new step at the end, never an edit of a released one.
var migrations = []migration{
	{name: "tables of the first release", up: firstTables},
	{name: "indexes for retention", up: stmts(
		`CREATE INDEX IF NOT EXISTS torplus_payment_requests_expiry ON torplus_payment_requests (state, expires_at)`,
		`CREATE INDEX IF NOT EXISTS torplus_payment_requests_paid ON torplus_payment_requests (state, paid_at)`,
		`CREATE INDEX IF NOT EXISTS torplus_payment_requests_session ON torplus_payment_requests (session)`,
		`CREATE INDEX IF NOT EXISTS torplus_credits_session ON torplus_credits (session)`)},
	{name: "sqlite incremental vacuum", up: incrementalVacuum, outsideTx: true},
	{name: "ledger watch: sightings, cursors, submissions", up: watchTables}, // sightings.go
}

// SchemaVersion is the schema version this release writes: the number of
// its migrations.
var SchemaVersion = len(migrations)

// stmts is a migration step that runs fixed statements.
func stmts(qs ...string) func(context.Context, *sqlStore, execer) error {
	return func(ctx context.Context, s *sqlStore, x execer) error {
		for _, q := range qs {
			if _, err := x.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
}

// firstTables is the schema as released before it had versions. It is
// written to find a database in any state that release left (tables from
// before zones were stored, or none at all): every statement is "if not
// exists" or checks first.
func firstTables(ctx context.Context, s *sqlStore, x execer) error {
	if err := stmts(s.firstSchema()...)(ctx, s, x); err != nil {
		return err
	}
	for _, table := range zoneColumns {
		if hasColumn(ctx, x, table, "zone") {
			continue
		}
		if _, err := x.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN zone TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("adding %s.zone: %w", table, err)
		}
	}
	return stmts(
		`CREATE INDEX IF NOT EXISTS torplus_credits_zone_session ON torplus_credits (zone, session)`,
		`CREATE INDEX IF NOT EXISTS torplus_payment_requests_zone_state ON torplus_payment_requests (zone, state, created_at)`,
	)(ctx, s, x)
}

// hasColumn reports whether table has column. In PostgreSQL a failed
// statement aborts its transaction, so the probe runs in a savepoint.
func hasColumn(ctx context.Context, x execer, table, column string) bool {
	x.ExecContext(ctx, `SAVEPOINT probe`)
	_, err := x.ExecContext(ctx, `SELECT `+column+` FROM `+table+` LIMIT 0`)
	if err != nil {
		x.ExecContext(ctx, `ROLLBACK TO SAVEPOINT probe`)
	}
	x.ExecContext(ctx, `RELEASE SAVEPOINT probe`)
	return err == nil
}

// incrementalVacuum turns on SQLite's incremental auto-vacuum, so the
// pages retention frees go back to the file system a few at a time
// (PRAGMA incremental_vacuum after each prune) rather than by a full
// VACUUM. The mode takes effect only through one VACUUM, run here once;
// PostgreSQL has autovacuum and needs nothing.
func incrementalVacuum(ctx context.Context, s *sqlStore, x execer) error {
	if s.d.numbered {
		return nil
	}
	return stmts(`PRAGMA auto_vacuum = INCREMENTAL`, `VACUUM`)(ctx, s, x)
}

// zoneColumns are the tables that gained a zone column after their first
// release; a database made before then gets it on open. Its old rows get
// the zone "" — no zone's handler is named that, so a credit recorded
// before zones were kept never raises any zone's allowance (it stays
// listed for the operator).
var zoneColumns = []string{"torplus_payment_requests", "torplus_credits"}

// execer runs statements: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// firstSchema is the first release's tables, in the dialect of s.
func (s *sqlStore) firstSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS torplus_sessions (
			key TEXT PRIMARY KEY,
			first_seen BIGINT NOT NULL,
			last_seen BIGINT NOT NULL,
			bytes_served BIGINT NOT NULL,
			free_bytes BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS torplus_sessions_last_seen ON torplus_sessions (last_seen)`,
		`CREATE TABLE IF NOT EXISTS torplus_rounds (
			session TEXT NOT NULL,
			n INTEGER NOT NULL,
			bytes BIGINT NOT NULL,
			free BOOLEAN NOT NULL,
			payment_request ` + s.d.blob + ` NOT NULL,
			started_at BIGINT NOT NULL,
			PRIMARY KEY (session, n))`,
		`CREATE TABLE IF NOT EXISTS torplus_payment_requests (
			id ` + s.d.blob + ` PRIMARY KEY,
			zone TEXT NOT NULL DEFAULT '',
			session TEXT NOT NULL,
			destination TEXT NOT NULL,
			asset_code TEXT NOT NULL,
			asset_issuer TEXT NOT NULL,
			amount TEXT NOT NULL,
			network TEXT NOT NULL,
			bytes BIGINT NOT NULL,
			created_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			state TEXT NOT NULL,
			tx_hash TEXT UNIQUE,
			paid_at BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS torplus_payment_requests_state ON torplus_payment_requests (state, created_at)`,
		`CREATE TABLE IF NOT EXISTS torplus_credits (
			zone TEXT NOT NULL DEFAULT '',
			session TEXT NOT NULL,
			payment_request ` + s.d.blob + ` PRIMARY KEY,
			tx_hash TEXT NOT NULL UNIQUE,
			bytes BIGINT NOT NULL,
			at BIGINT NOT NULL)`,
		leaseSchema, // lease.go
	}
}
