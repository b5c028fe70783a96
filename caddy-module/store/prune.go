package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ErrUnsupported is returned by an optional store operation the DB behind
// a Store does not implement.
var ErrUnsupported = errors.New("store: operation not supported by this database")

// Pruner is a DB that can delete the rows of sessions that never paid.
// Free rounds leave a row per visitor (a tor circuit, a session token):
// without pruning, the table grows with every visitor forever.
type Pruner interface {
	// PruneUnpaidSessions deletes the sessions last seen before idleBefore
	// that have no credit and no payment request still payable (pending
	// or settling), with their rounds, and returns how many went.
	PruneUnpaidSessions(ctx context.Context, idleBefore time.Time) (int64, error)
}

// unpaidIdle selects the keys of never-paid sessions idle since before ?;
// a session with a payable request is kept, as its payment may land.
const unpaidIdle = `SELECT key FROM torplus_sessions s WHERE s.last_seen < ?
	AND NOT EXISTS (SELECT 1 FROM torplus_credits c WHERE c.session = s.key)
	AND NOT EXISTS (SELECT 1 FROM torplus_payment_requests p WHERE p.session = s.key AND p.state IN (?, ?))`

func (s *sqlStore) PruneUnpaidSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	var n int64
	args := []any{nanos(idleBefore), string(Pending), string(Settling)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM torplus_rounds WHERE session IN (`+unpaidIdle+`)`), args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM torplus_sessions WHERE key IN (`+unpaidIdle+`)`), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PruneUnpaidSessions writes what is queued, then prunes (see Pruner).
func (l *Store) PruneUnpaidSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	p, ok := l.DB.(Pruner)
	if !ok {
		return 0, ErrUnsupported
	}
	if err := l.Flush(ctx); err != nil {
		return 0, err
	}
	return p.PruneUnpaidSessions(ctx, idleBefore)
}

var _ Pruner = (*sqlStore)(nil)
