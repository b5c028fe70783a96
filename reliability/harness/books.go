package harness

import (
	"context"
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// Books is what the ledger database holds after a run, read straight from
// its tables.
type Books struct {
	// Credits counts credit rows per transaction hash.
	Credits map[string]int
	// CreditsPerRequest counts credit rows per payment request id (hex).
	CreditsPerRequest map[string]int
	// CreditedStroops sums the amounts of the credited payment requests.
	CreditedStroops int64
	// Settling counts payment requests still settling.
	Settling int
	// Reports is the attention reports stored per page path.
	Reports map[string]int64
	// VisibleMS is the visible time stored per page path.
	VisibleMS map[string]int64
}

// ReadBooks opens the ledger ("sqlite <path>" or "postgres <dsn>", as
// Site.Ledger) and reads its books. The hoster should be stopped (or killed).
func ReadBooks(t testing.TB, ledgerArgs string) Books {
	t.Helper()
	ctx := context.Background()
	driver, dsn, _ := strings.Cut(ledgerArgs, " ")
	var s store.DB
	var err error
	if driver == "postgres" {
		s, err = store.OpenPostgres(ctx, dsn)
	} else {
		s, err = store.OpenSQLite(ctx, dsn)
	}
	if err != nil {
		t.Fatalf("opening the ledger: %v", err)
	}
	defer s.Close()
	db, _, _ := store.SQL(s)
	b := Books{Credits: map[string]int{}, CreditsPerRequest: map[string]int{}, Reports: map[string]int64{}, VisibleMS: map[string]int64{}}
	rows, err := db.QueryContext(ctx, `SELECT c.tx_hash, c.payment_request, p.amount
		FROM torplus_credits c JOIN torplus_payment_requests p ON p.id = c.payment_request`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var hash, amount string
		var id []byte
		if err := rows.Scan(&hash, &id, &amount); err != nil {
			t.Fatal(err)
		}
		b.Credits[hash]++
		b.CreditsPerRequest[string(id)]++
		n, err := payreq.ParseAmount(amount)
		if err != nil {
			t.Fatalf("stored amount %q: %v", amount, err)
		}
		b.CreditedStroops += int64(n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM torplus_payment_requests WHERE state = 'settling'`).Scan(&b.Settling); err != nil {
		t.Fatal(err)
	}
	rows, err = db.QueryContext(ctx, `SELECT path, SUM(reports), SUM(visible_ms) FROM torplus_attention_daily GROUP BY path`)
	if err != nil {
		if strings.Contains(err.Error(), "torplus_attention_daily") {
			return b // no attention endpoint ran
		}
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		var n, ms int64
		if err := rows.Scan(&path, &n, &ms); err != nil {
			t.Fatal(err)
		}
		b.Reports[path], b.VisibleMS[path] = n, ms
	}
	return b
}
