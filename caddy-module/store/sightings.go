package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Verdicts of a Sighting, as the ledger watcher gives them.
const (
	SightingCredited  = "credited"
	SightingShort     = "short"
	SightingLate      = "late"
	SightingUnmatched = "unmatched"
)

// Sighting is a payment to a zone's payee seen on the ledger (a wallet's
// payment made straight to the network), with what it paid. Every one is
// kept, credited or not: a late, short or unmatched payment is money the
// owner received and must see.
type Sighting struct {
	// Key is (transaction hash, operation, event index): one event, stored once.
	Key    string `json:"key"`
	Zone   string `json:"zone"`
	TxHash string `json:"tx_hash"`
	Ledger uint32 `json:"ledger"`
	// ClosedAt is when its ledger closed.
	ClosedAt time.Time `json:"closed_at"`
	// From is the payer's address; Amount what it paid.
	From   string        `json:"from"`
	Amount payreq.Amount `json:"amount"`
	// Dest is the muxed id or memo it carried, as text ("" for none).
	Dest string `json:"dest,omitempty"`
	// PaymentRequest is the request it named (zero when none matched).
	PaymentRequest payreq.ID `json:"payment_request"`
	// Verdict is one of the Sighting… constants.
	Verdict string    `json:"verdict"`
	SeenAt  time.Time `json:"seen_at"`
}

// LedgerWatch is a DB that keeps what the ledger watcher needs: the
// cursor it read events up to, the payments it saw, the transactions
// settlement submitted itself (so that their events are not taken for
// payments of their own), and requests found by their 64-bit number.
type LedgerWatch interface {
	// LoadCursor returns zone's saved getEvents cursor, "" when none.
	LoadCursor(ctx context.Context, zone string) (string, error)
	// SaveCursor records zone's cursor.
	SaveCursor(ctx context.Context, zone, cursor string) error
	// RecordSighting stores s; a key already stored is kept as it is,
	// and added reports false.
	RecordSighting(ctx context.Context, s Sighting) (added bool, err error)
	// Sightings lists zone's sightings (every zone's if "") with verdict
	// (all if ""), newest first, at most limit.
	Sightings(ctx context.Context, zone, verdict string, limit int) ([]Sighting, error)
	// PaymentRequestByNumber returns zone's request whose id's Number is
	// n (the newest, should two share one), or ErrNotFound.
	PaymentRequestByNumber(ctx context.Context, zone string, n uint64) (PaymentRequest, error)
	// ReopenExpired moves an expired request back to pending when a
	// payment for it closed on the ledger at paidAt, before it expired
	// (the watcher read it late); reopened reports whether it did.
	ReopenExpired(ctx context.Context, id [32]byte, paidAt time.Time) (reopened bool, err error)
	// RecordSubmission notes that txHash was sent to pay request id with
	// the payment whose replay key (Payment.Hash) is key.
	RecordSubmission(ctx context.Context, txHash string, id [32]byte, key string, now time.Time) error
	// Submissions lists the transactions sent for replay key key.
	Submissions(ctx context.Context, key string) ([]string, error)
	// Submitted reports whether txHash is a transaction settlement sent
	// or settled (a submission, or a request's transaction).
	Submitted(ctx context.Context, txHash string) (bool, error)
}

// errNoWatch is Watch's answer for a DB without LedgerWatch.
var errNoWatch = fmt.Errorf("%w: the database keeps no ledger watch", ErrUnsupported)

// watchTables is the migration step that adds the ledger watch's tables.
func watchTables(ctx context.Context, s *sqlStore, x execer) error {
	return stmts(s.watchSchema()...)(ctx, s, x)
}

// watchSchema is the ledger watch's tables, in the dialect of s.
func (s *sqlStore) watchSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS torplus_sightings (
			key TEXT PRIMARY KEY,
			zone TEXT NOT NULL,
			tx_hash TEXT NOT NULL,
			ledger BIGINT NOT NULL,
			closed_at BIGINT NOT NULL,
			payer TEXT NOT NULL,
			amount TEXT NOT NULL,
			dest TEXT NOT NULL,
			payment_request ` + s.d.blob + ` NOT NULL,
			verdict TEXT NOT NULL,
			seen_at BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS torplus_sightings_zone ON torplus_sightings (zone, seen_at)`,
		`CREATE TABLE IF NOT EXISTS torplus_watch_cursors (
			zone TEXT PRIMARY KEY,
			next_cursor TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS torplus_submissions (
			tx_hash TEXT PRIMARY KEY,
			payment_request ` + s.d.blob + ` NOT NULL,
			replay_key TEXT NOT NULL,
			at BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS torplus_submissions_replay ON torplus_submissions (replay_key)`,
	}
}

func (s *sqlStore) LoadCursor(ctx context.Context, zone string) (string, error) {
	var c string
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT next_cursor FROM torplus_watch_cursors WHERE zone = ?`), zone).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

func (s *sqlStore) SaveCursor(ctx context.Context, zone, cursor string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO torplus_watch_cursors (zone, next_cursor) VALUES (?, ?)
		ON CONFLICT (zone) DO UPDATE SET next_cursor = excluded.next_cursor`), zone, cursor)
	return err
}

func (s *sqlStore) RecordSighting(ctx context.Context, g Sighting) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO torplus_sightings
		(key, zone, tx_hash, ledger, closed_at, payer, amount, dest, payment_request, verdict, seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
		g.Key, g.Zone, g.TxHash, int64(g.Ledger), nanos(g.ClosedAt), g.From, g.Amount.String(), g.Dest,
		g.PaymentRequest[:], g.Verdict, nanos(g.SeenAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) Sightings(ctx context.Context, zone, verdict string, limit int) ([]Sighting, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT key, zone, tx_hash, ledger, closed_at, payer, amount, dest,
		payment_request, verdict, seen_at FROM torplus_sightings WHERE (? = '' OR zone = ?) AND (? = '' OR verdict = ?)
		ORDER BY seen_at DESC, key LIMIT ?`), zone, zone, verdict, verdict, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sighting
	for rows.Next() {
		var g Sighting
		var ledger, closed, seen int64
		var amount string
		var pr []byte
		if err := rows.Scan(&g.Key, &g.Zone, &g.TxHash, &ledger, &closed, &g.From, &amount, &g.Dest, &pr,
			&g.Verdict, &seen); err != nil {
			return nil, err
		}
		g.Ledger, g.ClosedAt, g.SeenAt, g.PaymentRequest = uint32(ledger), fromNanos(closed), fromNanos(seen), id32(pr)
		if g.Amount, err = payreq.ParseAmount(amount); err != nil {
			return nil, fmt.Errorf("store: sighting %s: %w", g.Key, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *sqlStore) PaymentRequestByNumber(ctx context.Context, zone string, n uint64) (PaymentRequest, error) {
	lo, hi := payreq.NumberRange(n)
	p, err := scanPR(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+prCols+` FROM torplus_payment_requests
		WHERE zone = ? AND id >= ? AND id <= ? ORDER BY created_at DESC LIMIT 1`), zone, lo[:], hi[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentRequest{}, ErrNotFound
	}
	return p, err
}

func (s *sqlStore) ReopenExpired(ctx context.Context, id [32]byte, paidAt time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE torplus_payment_requests SET state = ?
		WHERE id = ? AND state = ? AND expires_at > ?`), string(Pending), id[:], string(Expired), nanos(paidAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) RecordSubmission(ctx context.Context, txHash string, id [32]byte, key string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO torplus_submissions (tx_hash, payment_request, replay_key, at)
		VALUES (?, ?, ?, ?) ON CONFLICT (tx_hash) DO NOTHING`), txHash, id[:], key, nanos(now))
	return err
}

func (s *sqlStore) Submissions(ctx context.Context, key string) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT tx_hash FROM torplus_submissions WHERE replay_key = ? ORDER BY at, tx_hash`), key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *sqlStore) Submitted(ctx context.Context, txHash string) (bool, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT (SELECT COUNT(*) FROM torplus_submissions WHERE tx_hash = ?)
		+ (SELECT COUNT(*) FROM torplus_payment_requests WHERE tx_hash = ?)`), txHash, txHash).Scan(&n)
	return n > 0, err
}

// Watch returns the DB's LedgerWatch, or an error matching ErrUnsupported.
// Requests still queued are written first, so a payment seen on the
// ledger finds the request it pays.
func (l *Store) Watch(ctx context.Context) (LedgerWatch, error) {
	w, ok := l.DB.(LedgerWatch)
	if !ok {
		return nil, errNoWatch
	}
	return w, l.batch.Flush(ctx)
}

var _ LedgerWatch = (*sqlStore)(nil)
