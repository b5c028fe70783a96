package attention

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// upsertRows is the most rows one statement of upsert carries (7 columns
// a row stay far below SQLite's 32,766 and PostgreSQL's 65,535 parameters).
const upsertRows = 256

// table is a table of totals: rows are added to it by key, each of sums
// added to the stored value.
type table struct {
	name string
	key  []string // the primary key's columns
	sums []string // the columns added up
}

var (
	dailyTable  = table{"torplus_attention_daily", []string{"site", "day", "path"}, []string{"visible_ms", "reports"}}
	roundsTable = table{"torplus_attention_rounds", []string{"site", "session", "round", "path"}, []string{"visible_ms", "reports", "bytes"}}
)

// upsert adds n rows to t inside tx, row(i) giving row i's values in the
// order of t.key then t.sums, with multi-row INSERT … ON CONFLICT … DO
// UPDATE statements of up to upsertRows rows: a batch costs one statement
// (with PostgreSQL, one round trip) per upsertRows rows, not one per row.
// The rows must have distinct keys (PostgreSQL refuses to update a row
// twice in one statement).
func (s *SQLStore) upsert(ctx context.Context, tx *sql.Tx, t table, n int, row func(i int) []any) error {
	cols := len(t.key) + len(t.sums)
	args := make([]any, 0, min(n, upsertRows)*cols)
	for from := 0; from < n; from += upsertRows {
		to := min(n, from+upsertRows)
		args = args[:0]
		for i := from; i < to; i++ {
			args = append(args, row(i)...)
		}
		if err := s.exec(ctx, tx, t, to-from, args); err != nil {
			return err
		}
	}
	return nil
}

// preparedRows is the most rows of an upsert statement kept prepared: a
// batch's daily rows are its few pages, prepared once and run by every
// commit instead of parsed anew.
const preparedRows = 32

type stmtKey struct {
	table string
	rows  int
}

// exec runs t's upsert of rows rows with args inside tx: on a statement
// prepared before, else parsed for this once (and prepared after the
// transaction by preparePending when rows is at most preparedRows: the
// store's one writing connection is the transaction's until then).
func (s *SQLStore) exec(ctx context.Context, tx *sql.Tx, t table, rows int, args []any) error {
	k := stmtKey{t.name, rows}
	s.mu.Lock()
	stmt := s.stmts[k]
	if stmt == nil && rows <= preparedRows {
		s.pending[k] = t.statement(rows)
	}
	s.mu.Unlock()
	var err error
	if stmt != nil {
		_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, t.statement(rows), args...)
	}
	return err
}

// preparePending prepares the statements exec asked for; outside a
// transaction. A statement that fails to prepare is parsed per use.
func (s *SQLStore) preparePending(ctx context.Context) {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[stmtKey]string{}
	s.mu.Unlock()
	for k, q := range pending {
		stmt, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if s.stmts[k] == nil {
			s.stmts[k], stmt = stmt, nil
		}
		s.mu.Unlock()
		if stmt != nil {
			stmt.Close()
		}
	}
}

// Close closes the statements s keeps prepared (not the database).
func (s *SQLStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for k, stmt := range s.stmts {
		errs = append(errs, stmt.Close())
		delete(s.stmts, k)
	}
	return errors.Join(errs...)
}

// statement is t's INSERT … ON CONFLICT of rows rows, with $n placeholders
// (both SQLite and PostgreSQL take them).
func (t table) statement(rows int) string {
	cols := append(append([]string{}, t.key...), t.sums...)
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(r*len(cols)+c+1))
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (" + strings.Join(t.key, ", ") + ") DO UPDATE SET ")
	for i, c := range t.sums {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = " + t.name + "." + c + " + excluded." + c)
	}
	return b.String()
}
