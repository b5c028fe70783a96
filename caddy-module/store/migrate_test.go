package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/torplus/torplus/internal/pgtest"
)

// oldSchema is the payment tables as released before zones were stored.
var oldSchema = []string{
	`CREATE TABLE torplus_payment_requests (id BLOB PRIMARY KEY, session TEXT NOT NULL, destination TEXT NOT NULL,
		asset_code TEXT NOT NULL, asset_issuer TEXT NOT NULL, amount TEXT NOT NULL, network TEXT NOT NULL,
		bytes BIGINT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, state TEXT NOT NULL,
		tx_hash TEXT UNIQUE, paid_at BIGINT NOT NULL)`,
	`CREATE TABLE torplus_credits (session TEXT NOT NULL, payment_request BLOB PRIMARY KEY,
		tx_hash TEXT NOT NULL UNIQUE, bytes BIGINT NOT NULL, at BIGINT NOT NULL)`,
	`INSERT INTO torplus_payment_requests VALUES (?, 'session:ab', 'GDEST', 'TPT', 'GISSUER', '1.5000000',
		'Test SDF Network ; September 2015', 1000, 1, 2, 'paid', 'tx-old', 3)`,
	`INSERT INTO torplus_credits VALUES ('session:ab', ?, 'tx-old', 1000, 3)`,
}

// TestOpensDatabaseWithoutZones: a database made before zones were stored
// still opens on both backends; its rows are readable, belong to the zone
// "" and raise no zone's allowance.
func TestOpensDatabaseWithoutZones(t *testing.T) {
	for _, tc := range rawBackends() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := tc.dsn(t)
			raw, err := sql.Open(tc.driver, dsn)
			must(t, err)
			id := append(make([]byte, 31), 7)
			for _, q := range oldSchema {
				if tc.driver == "pgx" {
					q = strings.ReplaceAll(q, "BLOB", "BYTEA")
				}
				args := []any{}
				if strings.Contains(q, "?") {
					args = append(args, id)
				}
				if _, err := raw.ExecContext(ctx, (&sqlStore{d: dialect{numbered: tc.driver == "pgx"}}).q(q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			raw.Close()
			s, err := tc.open(ctx, dsn)
			if err != nil {
				t.Fatalf("opening a database without zones: %v", err)
			}
			defer s.Close()
			p, err := s.PaymentRequest(ctx, id32(id))
			if err != nil || p.Zone != "" || p.State != Paid || p.Amount != 15_000_000 {
				t.Fatalf("old request = %+v, %v", p, err)
			}
			for _, zone := range []string{"default", ""} {
				n, err := s.CreditedBytes(ctx, zone, "session:ab")
				must(t, err)
				if want := map[string]int64{"": 1000}[zone]; n != want {
					t.Errorf("zone %q: %d bytes credited, want %d", zone, n, want)
				}
			}
			// New rows go in beside the old ones.
			must(t, s.PutPaymentRequests(ctx, []PaymentRequest{pr(1, "session:ab")}))
		})
	}
}

// copyFixture copies the committed database written by the release before
// schema versions into a temporary directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "store-v1.db"))
	must(t, err)
	path := filepath.Join(t.TempDir(), "store.db")
	must(t, os.WriteFile(path, b, 0o600))
	return path
}

// loadPGFixture loads the committed dump of a PostgreSQL database written
// by the release before schema versions (testdata/store-v1.pg.sql) into a
// new PostgreSQL server, and returns its DSN.
func loadPGFixture(t *testing.T) string {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "store-v1.pg.sql"))
	must(t, err)
	dsn := pgtest.Start(t).DSN
	conn, err := pgx.Connect(context.Background(), dsn)
	must(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), string(dump)) // no arguments: the simple protocol, many statements
	must(t, err)
	return dsn
}

// TestMigratesFixture: the databases the release before schema versions
// wrote (testdata/store-v1.db on SQLite, testdata/store-v1.pg.sql on
// PostgreSQL) open at SchemaVersion with every row readable and every
// state as it was, and take new writes; SQLite's incremental vacuum is on.
func TestMigratesFixture(t *testing.T) {
	fixtures := []struct {
		name string
		open func(t *testing.T) (DB, error)
	}{
		{"sqlite", func(t *testing.T) (DB, error) { return OpenSQLite(context.Background(), copyFixture(t)) }},
		{"postgres", func(t *testing.T) (DB, error) { return OpenPostgres(context.Background(), loadPGFixture(t)) }},
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := fx.open(t)
			if err != nil {
				t.Fatalf("opening the fixture: %v", err)
			}
			defer db.Close()
			if v, err := SchemaVersionOf(ctx, db); err != nil || v != SchemaVersion {
				t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion)
			}
			states := map[byte]State{1: Paid, 2: Pending, 3: Settling}
			for n, want := range states {
				p, err := db.PaymentRequest(ctx, pr(n, "").ID)
				if err != nil || p.State != want || p.Zone != testZone {
					t.Errorf("request %d = %+v, %v; want %s in %s", n, p, err, want, testZone)
				}
			}
			if b, err := db.CreditedBytes(ctx, testZone, "session:paid"); err != nil || b != pr(1, "").Bytes {
				t.Errorf("credited %d, %v", b, err)
			}
			if rs, err := db.Rounds(ctx, "session:paid"); err != nil || len(rs) != 2 {
				t.Errorf("rounds %v, %v", rs, err)
			}
			if _, err := db.BeginSettle(ctx, pr(2, "").ID, "aa01", t0); !errors.Is(err, ErrTxSeen) {
				t.Errorf("a used transaction hash after migration: %v, want ErrTxSeen", err)
			}
			if _, err := db.FinishSettle(ctx, pr(3, "").ID, "aa03", t0); err != nil {
				t.Errorf("finishing the settle in flight: %v", err)
			}
			must(t, db.PutPaymentRequests(ctx, []PaymentRequest{pr(9, "session:new")}))
			if fx.name != "sqlite" {
				return
			}
			raw, _, _ := SQL(db)
			var mode int
			must(t, raw.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode))
			if mode != 2 {
				t.Errorf("auto_vacuum = %d, want 2 (incremental)", mode)
			}
		})
	}
}

// TestRefusesNewerSchema: on both backends, a database whose version is
// above SchemaVersion is refused with ErrSchemaTooNew, and left as it was
// (its version row, and the SQLite file byte for byte).
func TestRefusesNewerSchema(t *testing.T) {
	for _, tc := range rawBackends() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := tc.dsn(t)
			db, err := tc.open(ctx, dsn)
			must(t, err)
			raw, _, _ := SQL(db)
			_, err = raw.ExecContext(ctx, `UPDATE torplus_schema SET version = version + 1`)
			must(t, err)
			must(t, db.Close())
			var before []byte
			if tc.driver == "sqlite" {
				before, err = os.ReadFile(dsn)
				must(t, err)
			}
			if again, err := tc.open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
				if err == nil {
					again.Close()
				}
				t.Fatalf("opening a newer database: %v, want ErrSchemaTooNew", err)
			}
			if tc.driver == "sqlite" {
				after, err := os.ReadFile(dsn)
				must(t, err)
				if !bytes.Equal(before, after) {
					t.Error("the refused database file changed")
				}
			}
			raw2, err := sql.Open(tc.driver, dsn)
			must(t, err)
			defer raw2.Close()
			var v int
			must(t, raw2.QueryRowContext(ctx, `SELECT version FROM torplus_schema`).Scan(&v))
			if v != SchemaVersion+1 {
				t.Errorf("version after refusal = %d, want %d", v, SchemaVersion+1)
			}
		})
	}
}

// TestReplicasMigrateAtOnce: replicas opening one new PostgreSQL database
// at the same moment all succeed, and the schema ends at SchemaVersion.
func TestReplicasMigrateAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t).DSN
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			db, err := OpenPostgres(ctx, dsn)
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica opening at once: %v", err)
		}
	}
	db, err := OpenPostgres(ctx, dsn)
	must(t, err)
	defer db.Close()
	if v, err := SchemaVersionOf(ctx, db); err != nil || v != SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion)
	}
}

// rawBackend opens a store at a DSN it can also open with database/sql.
type rawBackend struct {
	name   string
	driver string
	dsn    func(t *testing.T) string
	open   func(ctx context.Context, dsn string) (DB, error)
}

func rawBackends() []rawBackend {
	return []rawBackend{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }, OpenSQLite},
		{"postgres", "pgx", func(t *testing.T) string { return pgtest.Start(t).DSN }, OpenPostgres},
	}
}
