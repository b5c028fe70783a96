package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// dialect holds what differs between the SQL databases.
type dialect struct {
	name     string // for errors
	blob     string // binary column type
	numbered bool   // placeholders are $1, $2 … rather than ?
	isUnique func(error) bool
}

// sqlStore is the DB over database/sql shared by SQLite and PostgreSQL.
type sqlStore struct {
	db  *sql.DB // writes (and the reads of write transactions)
	rdb *sql.DB // reads outside transactions; db unless the dialect splits them
	d   dialect
}

// q rewrites ? placeholders for the dialect.
func (s *sqlStore) q(query string) string {
	if !s.d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func id32(b []byte) [32]byte {
	var id [32]byte
	copy(id[:], b)
	return id
}

// inTx runs f in a transaction, committing if it returns nil.
func (s *sqlStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqlStore) PutSessions(ctx context.Context, ss []Session) error {
	if len(ss) == 0 {
		return nil
	}
	query := s.q(`INSERT INTO torplus_sessions (key, first_seen, last_seen, bytes_served, free_bytes)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen,
			bytes_served = excluded.bytes_served, free_bytes = excluded.free_bytes`)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, x := range ss {
			if _, err := stmt.ExecContext(ctx, x.Key, nanos(x.FirstSeen), nanos(x.LastSeen), x.BytesServed, x.FreeBytes); err != nil {
				return err
			}
		}
		return nil
	})
}

const sessionCols = `key, first_seen, last_seen, bytes_served, free_bytes`

func scanSession(sc interface{ Scan(...any) error }) (Session, error) {
	var x Session
	var first, last int64
	err := sc.Scan(&x.Key, &first, &last, &x.BytesServed, &x.FreeBytes)
	x.FirstSeen, x.LastSeen = fromNanos(first), fromNanos(last)
	return x, err
}

func (s *sqlStore) Session(ctx context.Context, key string) (Session, error) {
	x, err := scanSession(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+sessionCols+` FROM torplus_sessions WHERE key = ?`), key))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	return x, err
}

func (s *sqlStore) Sessions(ctx context.Context, since time.Time, limit int) ([]Session, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+sessionCols+` FROM torplus_sessions
		WHERE last_seen >= ? ORDER BY last_seen DESC, key LIMIT ?`), nanos(since), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *sqlStore) AddRounds(ctx context.Context, rs []Round) error {
	if len(rs) == 0 {
		return nil
	}
	query := s.q(`INSERT INTO torplus_rounds (session, n, bytes, free, payment_request, started_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session, n) DO NOTHING`)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, query, r.Session, r.N, r.Bytes, r.Free, r.PaymentRequest[:], nanos(r.StartedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *sqlStore) Rounds(ctx context.Context, session string) ([]Round, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT session, n, bytes, free, payment_request, started_at
		FROM torplus_rounds WHERE session = ? ORDER BY n`), session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Round
	for rows.Next() {
		var r Round
		var pr []byte
		var at int64
		if err := rows.Scan(&r.Session, &r.N, &r.Bytes, &r.Free, &pr, &at); err != nil {
			return nil, err
		}
		r.PaymentRequest, r.StartedAt = id32(pr), fromNanos(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
