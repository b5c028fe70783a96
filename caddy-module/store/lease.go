package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Leaser is a DB that hands out a session's allowance in leases, so that
// replicas sharing the database together serve at most what the session
// was allowed: its free round plus every credit. Each lease locks the
// session's lease row, reads the credits and moves the leased total, in a
// transaction: never a cached total.
type Leaser interface {
	// Leases grants each request up to Want bytes of its session's
	// allowance (Free, the free round the first replica to lease records,
	// plus the credited bytes) not yet leased, all in one transaction, and
	// returns the grants in the requests' order (0: all leased). Requests
	// of one session are granted one after the other. A negative Free or
	// Want is ErrBadLease, and nothing is leased.
	Leases(ctx context.Context, reqs []LeaseRequest) ([]int64, error)
	// ReturnLeases gives back leased bytes that were not served, in a few
	// transactions. A return of more than its session leased is
	// ErrBadLease and changes nothing; the others are still made.
	ReturnLeases(ctx context.Context, returns []LeaseReturn) error
}

// LeaseRequest asks for up to Want more bytes of a session's allowance.
type LeaseRequest struct {
	Session    string
	Free, Want int64
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

func (s *sqlStore) Leases(ctx context.Context, reqs []LeaseRequest) ([]int64, error) {
	free := map[string]int64{} // each session's, from its first request
	var sessions []string
	for _, r := range reqs {
		if r.Want < 0 || r.Free < 0 {
			return nil, ErrBadLease
		}
		if _, ok := free[r.Session]; !ok {
			free[r.Session] = r.Free
			sessions = append(sessions, r.Session)
		}
	}
	// Rows are locked in one order, the sessions', by every transaction
	// of every replica that locks several (ReturnLeases too): no deadlock.
	sort.Strings(sessions)
	grants := make([]int64, len(reqs))
	if len(sessions) == 0 {
		return grants, nil
	}
	lock := ""
	if s.d.numbered { // PostgreSQL: lock the rows; SQLite's one writer serializes anyway
		lock = " FOR UPDATE OF l"
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(sessions)), ", ") + ")"
	names := make([]any, len(sessions))
	rows := make([]any, 0, 2*len(sessions))
	for i, k := range sessions {
		names[i] = k
		rows = append(rows, k, free[k])
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO torplus_leases (session, free, leased) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, 0), ", len(sessions)), ", ")+
			` ON CONFLICT (session) DO NOTHING`), rows...); err != nil {
			return err
		}
		// What each session may still lease: its free round and credits,
		// less what is leased; one round trip for them all.
		left, err := leftToLease(ctx, tx, s.q(`SELECT l.session, l.free - l.leased +
			COALESCE((SELECT SUM(c.bytes) FROM torplus_credits c WHERE c.session = l.session), 0)
			FROM torplus_leases l WHERE l.session IN `+in+` ORDER BY l.session`+lock), names)
		if err != nil {
			return err
		}
		moved := make(map[string]int64, len(sessions))
		for i, r := range reqs {
			g := max(min(r.Want, left[r.Session]), 0)
			grants[i] = g
			left[r.Session] -= g
			moved[r.Session] += g
		}
		// One statement moves every session's leased total.
		var when strings.Builder
		args := make([]any, 0, 3*len(sessions))
		for _, k := range sessions {
			if moved[k] > 0 {
				when.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
				args = append(args, k, moved[k])
			}
		}
		if len(args) == 0 {
			return nil
		}
		n := len(args) / 2
		for i := range n { // the sessions again, for IN
			args = append(args, args[2*i])
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE torplus_leases SET leased = leased + CASE session`+when.String()+
			` END WHERE session IN (`+strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)`), args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return grants, nil
}

// leftToLease reads the (session, bytes) rows of query.
func leftToLease(ctx context.Context, tx *sql.Tx, query string, args []any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	left := make(map[string]int64, len(args))
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		left[k] = n
	}
	return left, rows.Err()
}

// returnsPerTx bounds the returns one transaction makes: a sweep's
// returns (thousands of idle sessions) are written in several, so none
// holds many row locks that a concurrent Lease would wait for.
const returnsPerTx = 256

func (s *sqlStore) ReturnLeases(ctx context.Context, returns []LeaseReturn) error {
	returns = slices.Clone(returns)
	slices.SortFunc(returns, func(a, b LeaseReturn) int { return strings.Compare(a.Session, b.Session) }) // the lock order of Leases
	var bad []error
	for len(returns) > 0 {
		n := min(len(returns), returnsPerTx)
		update := s.q(`UPDATE torplus_leases SET leased = leased - ? WHERE session = ? AND leased >= ?`)
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			for _, r := range returns[:n] {
				if r.Bytes < 0 {
					bad = append(bad, fmt.Errorf("%w: a return of %d bytes (%q)", ErrBadLease, r.Bytes, r.Session))
					continue
				}
				if r.Bytes == 0 {
					continue
				}
				res, err := tx.ExecContext(ctx, update, r.Bytes, r.Session, r.Bytes)
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

// Lease leases up to want bytes of session's allowance through the DB
// (see Leaser). Concurrent leases of this Store share one transaction
// (leaseGroup), so a burst of sessions back from idle costs one lock and
// commit per batch, not one each. Credits are written at once, so nothing
// queued can change the answer.
func (l *Store) Lease(ctx context.Context, session string, free, want int64) (int64, error) {
	le, ok := l.DB.(Leaser)
	if !ok {
		return 0, ErrUnsupported
	}
	if want < 0 || free < 0 { // refused before it can spoil a batch
		return 0, ErrBadLease
	}
	return l.leases.lease(ctx, le, LeaseRequest{Session: session, Free: free, Want: want})
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
