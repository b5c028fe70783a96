package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Leaser is a DB that hands out a session's allowance in leases, so that
// replicas sharing the database together serve at most what the session
// was allowed: its free round plus every credit. Each lease is one
// transaction that locks the session's lease row, reads the credits and
// moves the leased total: never a cached total.
type Leaser interface {
	// Lease grants up to want bytes of session's allowance (free, the
	// free round the first replica to lease records, plus the credited
	// bytes) not yet leased, and returns how many (0: all leased).
	Lease(ctx context.Context, session string, free, want int64) (int64, error)
	// ReturnLeases gives back leased bytes that were not served, all in
	// one transaction. A return of more than its session leased is
	// ErrBadLease and changes nothing; the others are still made.
	ReturnLeases(ctx context.Context, returns []LeaseReturn) error
}

// LeaseReturn is what one session gives back of its lease.
type LeaseReturn struct {
	Session string
	Bytes   int64 // leased and not served
}

const leaseSchema = `CREATE TABLE IF NOT EXISTS torplus_leases (
	session TEXT PRIMARY KEY,
	free BIGINT NOT NULL,
	leased BIGINT NOT NULL)`

// ErrBadLease is returned for a negative lease or a return of more than
// was leased.
var ErrBadLease = errors.New("store: lease out of range")

func (s *sqlStore) Lease(ctx context.Context, session string, free, want int64) (int64, error) {
	if want < 0 || free < 0 {
		return 0, ErrBadLease
	}
	lock := ""
	if s.d.numbered { // PostgreSQL: lock the row; SQLite's one writer serializes anyway
		lock = " FOR UPDATE"
	}
	var granted int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO torplus_leases (session, free, leased) VALUES (?, ?, 0)
			ON CONFLICT (session) DO NOTHING`), session, free); err != nil {
			return err
		}
		var f, leased, credited int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT free, leased FROM torplus_leases WHERE session = ?`+lock), session).Scan(&f, &leased); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(bytes), 0) FROM torplus_credits WHERE session = ?`), session).Scan(&credited); err != nil {
			return err
		}
		granted = max(min(want, f+credited-leased), 0)
		if granted == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE torplus_leases SET leased = leased + ? WHERE session = ?`), granted, session)
		return err
	})
	if err != nil {
		return 0, err
	}
	return granted, nil
}

// returnsPerTx bounds the returns one transaction makes: a sweep's
// returns (thousands of idle sessions) are written in several, so none
// holds many row locks that a concurrent Lease would wait for.
const returnsPerTx = 256

func (s *sqlStore) ReturnLeases(ctx context.Context, returns []LeaseReturn) error {
	var bad []error
	for len(returns) > 0 {
		n := min(len(returns), returnsPerTx)
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE torplus_leases SET leased = leased - ? WHERE session = ? AND leased >= ?`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, r := range returns[:n] {
				if r.Bytes < 0 {
					bad = append(bad, fmt.Errorf("%w: a return of %d bytes (%q)", ErrBadLease, r.Bytes, r.Session))
					continue
				}
				if r.Bytes == 0 {
					continue
				}
				res, err := stmt.ExecContext(ctx, r.Bytes, r.Session, r.Bytes)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err == nil && k == 0 {
					bad = append(bad, fmt.Errorf("%w: a return of %d bytes, more than %q leased", ErrBadLease, r.Bytes, r.Session))
				}
			}
			return nil
		})
		if err != nil {
			return errors.Join(append(bad, err)...)
		}
		returns = returns[n:]
	}
	return errors.Join(bad...)
}

// Lease leases through the DB (see Leaser); credits are written at once,
// so nothing queued can change the answer.
func (l *Store) Lease(ctx context.Context, session string, free, want int64) (int64, error) {
	le, ok := l.DB.(Leaser)
	if !ok {
		return 0, ErrUnsupported
	}
	return le.Lease(ctx, session, free, want)
}

// ReturnLeases gives back unserved leased bytes (see Leaser).
func (l *Store) ReturnLeases(ctx context.Context, returns []LeaseReturn) error {
	le, ok := l.DB.(Leaser)
	if !ok {
		return ErrUnsupported
	}
	return le.ReturnLeases(ctx, returns)
}

var _ Leaser = (*sqlStore)(nil)
