package attention

import (
	"context"
	"database/sql"
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
func upsert(ctx context.Context, tx *sql.Tx, t table, n int, row func(i int) []any) error {
	cols := len(t.key) + len(t.sums)
	args := make([]any, 0, min(n, upsertRows)*cols)
	for from := 0; from < n; from += upsertRows {
		to := min(n, from+upsertRows)
		args = args[:0]
		for i := from; i < to; i++ {
			args = append(args, row(i)...)
		}
		if _, err := tx.ExecContext(ctx, t.statement(to-from), args...); err != nil {
			return err
		}
	}
	return nil
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
