package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrUnsupported is returned by an optional store operation the DB behind
// a Store does not implement.
var ErrUnsupported = errors.New("store: operation not supported by this database")

// Pruner is a DB that deletes what Retention says it no longer needs.
// Free rounds leave a row per visitor (a tor circuit, a session token) and
// every 402 a payment request: without pruning, the tables grow with
// every visitor forever. Nothing payable is ever pruned: a pending
// request (expired or not, until ExpirePending marks it), a settling one,
// or the session either belongs to.
type Pruner interface {
	// Prune runs retention r (defaults filled in) as of now: among the
	// rest, it deletes the sessions last seen before now - UnpaidAfter
	// that have no credit and no payment request still payable (pending
	// or settling), with their rounds and leases.
	Prune(ctx context.Context, r Retention, now time.Time) (Pruned, error)
}

// payable is the condition, on a session s, that it has a request whose
// payment may still land.
const payable = `EXISTS (SELECT 1 FROM torplus_payment_requests p WHERE p.session = s.key AND p.state IN ('` + string(Pending) + `', '` + string(Settling) + `'))`

// unpaidIdle selects the keys of never-paid sessions idle since before ?.
const unpaidIdle = `SELECT key FROM torplus_sessions s WHERE s.last_seen < ?
	AND NOT EXISTS (SELECT 1 FROM torplus_credits c WHERE c.session = s.key) AND NOT ` + payable + ` LIMIT ?`

// paidIdle selects the keys of sessions idle since before ?, paid or not,
// with nothing payable and no credit since the same ?: those past
// PaidHistory (a credit can land after the last visit: a wallet payment
// seen on the ledger).
const paidIdle = `SELECT key FROM torplus_sessions s WHERE s.last_seen < ? AND NOT ` + payable + `
	AND NOT EXISTS (SELECT 1 FROM torplus_credits c WHERE c.session = s.key AND c.at >= ?) LIMIT ?`

func (s *sqlStore) Prune(ctx context.Context, r Retention, now time.Time) (Pruned, error) {
	r = r.withDefaults()
	var p Pruned
	dependent, daily, err := s.registered(ctx)
	if err != nil {
		return p, err
	}
	expiredBefore := nanos(now.Add(-time.Duration(r.ExpiredAfter)))
	err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
		return rows(tx.ExecContext(ctx, s.q(`DELETE FROM torplus_payment_requests WHERE id IN (
			SELECT id FROM torplus_payment_requests WHERE state = '`+string(Expired)+`' AND expires_at < ? LIMIT ?)`), expiredBefore, batch))
	}, &p.Expired)
	if err == nil {
		err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
			return s.deleteSessions(ctx, tx, unpaidIdle, &p, dependent, nanos(now.Add(-time.Duration(r.UnpaidAfter))), batch)
		}, &p.Unpaid)
	}
	paidBefore := nanos(now.Add(-time.Duration(r.PaidHistory)))
	if err == nil {
		err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
			return s.deleteSessions(ctx, tx, paidIdle, &p, dependent, paidBefore, paidBefore, batch)
		}, &p.Paid)
	}
	if err == nil {
		err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
			return rows(tx.ExecContext(ctx, s.q(`DELETE FROM torplus_submissions WHERE tx_hash IN (
				SELECT tx_hash FROM torplus_submissions WHERE at < ? LIMIT ?)`), paidBefore, batch))
		}, &p.Submissions)
	}
	if err == nil {
		err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
			return rows(tx.ExecContext(ctx, s.q(`DELETE FROM torplus_sightings WHERE key IN (
				SELECT key FROM torplus_sightings WHERE seen_at < ? LIMIT ?)`), paidBefore, batch))
		}, &p.Sightings)
	}
	oldDay := now.Add(-time.Duration(r.PaidHistory)).Unix() / 86400
	for _, t := range daily {
		if err != nil {
			break
		}
		err = s.batches(ctx, r.Batch, func(tx *sql.Tx, batch int) (int64, error) {
			return rows(tx.ExecContext(ctx, s.q(`DELETE FROM `+t.table+` WHERE (`+t.key+`) IN (
				SELECT `+t.key+` FROM `+t.table+` WHERE `+t.column+` < ? LIMIT ?)`), oldDay, batch))
		}, &p.Dependent)
	}
	if err == nil && !s.d.numbered {
		_, err = s.db.ExecContext(ctx, `PRAGMA incremental_vacuum(`+strconv.Itoa(vacuumPages)+`)`)
	}
	return p, err
}

// batches runs del, one transaction a batch, until a batch deletes fewer
// than batch rows (or maxBatches ran), adding what went to *n.
func (s *sqlStore) batches(ctx context.Context, batch int, del func(tx *sql.Tx, batch int) (int64, error), n *int64) error {
	for range maxBatches {
		var got int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = del(tx, batch)
			return err
		})
		if err != nil {
			return err
		}
		*n += got
		if got < int64(batch) {
			return nil
		}
	}
	return nil
}

// deleteSessions deletes the sessions that selectKeys (a query with args,
// its LIMIT last) picks, with their rounds, leases,
// credits and paid requests, and returns how many went. Their expired
// requests are left to ExpiredAfter (none is payable: selectKeys skips
// any session with a pending or settling one).
func (s *sqlStore) deleteSessions(ctx context.Context, tx *sql.Tx, selectKeys string, p *Pruned, dependent []string, args ...any) (int64, error) {
	r, err := tx.QueryContext(ctx, s.q(selectKeys), args...)
	if err != nil {
		return 0, err
	}
	var keys []any
	for r.Next() {
		var k string
		if err := r.Scan(&k); err != nil {
			r.Close()
			return 0, err
		}
		keys = append(keys, k)
	}
	r.Close()
	if err := r.Err(); err != nil || len(keys) == 0 {
		return 0, err
	}
	in := "(?" + strings.Repeat(", ?", len(keys)-1) + ")"
	type del struct {
		table, where string
		n            *int64
	}
	var dels []del
	for _, t := range dependent { // rows of other packages' that belong to the sessions
		dels = append(dels, del{t, "session IN " + in, &p.Dependent})
	}
	dels = append(dels, []del{
		{"torplus_credits", "session IN " + in, &p.Credits},
		{"torplus_payment_requests", "state = '" + string(Paid) + "' AND session IN " + in, &p.Requests},
		{"torplus_rounds", "session IN " + in, nil},
		{"torplus_leases", "session IN " + in, nil},
		{"torplus_sessions", "key IN " + in, nil},
	}...)
	for _, q := range dels {
		n, err := rows(tx.ExecContext(ctx, s.q(`DELETE FROM `+q.table+` WHERE `+q.where), keys...))
		if err != nil {
			return 0, err
		}
		if q.n != nil {
			*q.n += n
		}
	}
	return int64(len(keys)), nil
}

// rows returns how many rows a statement changed.
func rows(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Prune writes what is queued, then runs retention (see Pruner).
func (l *Store) Prune(ctx context.Context, r Retention, now time.Time) (Pruned, error) {
	p, ok := l.DB.(Pruner)
	if !ok {
		return Pruned{}, ErrUnsupported
	}
	if err := l.Flush(ctx); err != nil {
		return Pruned{}, err
	}
	return p.Prune(ctx, r, now)
}

var _ Pruner = (*sqlStore)(nil)
