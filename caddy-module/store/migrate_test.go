package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

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
	tests := []struct {
		name   string
		driver string
		dsn    func(t *testing.T) string
		open   func(ctx context.Context, dsn string) (DB, error)
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }, OpenSQLite},
		{"postgres", "pgx", func(t *testing.T) string { return pgtest.Start(t).DSN }, OpenPostgres},
	}
	for _, tc := range tests {
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
