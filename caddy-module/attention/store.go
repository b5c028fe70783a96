package attention

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Day is a calendar day in UTC, counted in days since 1970-01-01.
type Day int32

// DayOf returns the UTC day that t falls on.
func DayOf(t time.Time) Day {
	s := t.Unix()
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return Day(d)
}

// ParseDay parses a date written YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a date (YYYY-MM-DD)", ErrBadDay, s)
	}
	return DayOf(t), nil
}

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String writes d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// Daily is the attention one page of one site got on one day.
type Daily struct {
	Site      string `json:"site"`
	Day       Day    `json:"-"`
	Path      string `json:"path"`
	VisibleMS int64  `json:"visible_ms"` // visible time reported, in milliseconds
	Reports   int64  `json:"reports"`    // accepted reports
}

// PageTotal is the attention one page got over a period.
type PageTotal struct {
	Path      string `json:"path"`
	VisibleMS int64  `json:"visible_ms"`
	Reports   int64  `json:"reports"`
}

// Store keeps attention aggregated per site, page and day. Implementations
// are safe for concurrent use, also by several processes sharing a database.
type Store interface {
	// Add adds each row's visible time and report count to the stored
	// totals of its site, day and path, and each PageRound to its session's,
	// round's and page's, all in one transaction.
	Add(ctx context.Context, rows []Daily, rounds []PageRound) error
	// Totals sums a site's attention per page over the days [from, to),
	// ordered by path.
	Totals(ctx context.Context, site string, from, to Day) ([]PageTotal, error)
	// Days lists a site's per-day rows over [from, to), ordered by day and path.
	Days(ctx context.Context, site string, from, to Day) ([]Daily, error)
	// PageRounds lists what one session read in its paid rounds, ordered
	// by round and path.
	PageRounds(ctx context.Context, site, session string) ([]PageRound, error)
}

// SQLStore is the Store on the store's SQL database (SQLite or
// PostgreSQL), in the table torplus_attention_daily.
type SQLStore struct {
	db *sql.DB
}

// NewSQLStore creates the attention table in db if needed. driver is
// "sqlite" or "postgres" (as store.SQL reports it). The caller keeps
// ownership of db.
func NewSQLStore(ctx context.Context, db *sql.DB, driver string) (*SQLStore, error) {
	if driver != "sqlite" && driver != "postgres" {
		return nil, fmt.Errorf("attention: no store for database driver %q", driver)
	}
	// Both dialects accept this DDL and the $n placeholders below.
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS torplus_attention_daily (
		site TEXT NOT NULL,
		day INTEGER NOT NULL,
		path TEXT NOT NULL,
		visible_ms BIGINT NOT NULL,
		reports BIGINT NOT NULL,
		PRIMARY KEY (site, day, path))`)
	if err == nil {
		_, err = db.ExecContext(ctx, createRounds)
	}
	if err != nil {
		return nil, fmt.Errorf("attention: %s schema: %w", driver, err)
	}
	return &SQLStore{db: db}, nil
}

// Add implements Store.
func (s *SQLStore) Add(ctx context.Context, rows []Daily, rounds []PageRound) error {
	if len(rows) == 0 && len(rounds) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, rounds = mergeDaily(rows), mergeRounds(rounds)
	err = upsert(ctx, tx, dailyTable, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.Site, int64(r.Day), r.Path, r.VisibleMS, r.Reports}
	})
	if err != nil {
		return err
	}
	if err := addRounds(ctx, tx, rounds); err != nil {
		return err
	}
	return tx.Commit()
}

// Totals implements Store.
func (s *SQLStore) Totals(ctx context.Context, site string, from, to Day) ([]PageTotal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, SUM(visible_ms), SUM(reports) FROM torplus_attention_daily
		WHERE site = $1 AND day >= $2 AND day < $3 GROUP BY path ORDER BY path`, site, int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PageTotal{}
	for rows.Next() {
		var p PageTotal
		if err := rows.Scan(&p.Path, &p.VisibleMS, &p.Reports); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Days implements Store.
func (s *SQLStore) Days(ctx context.Context, site string, from, to Day) ([]Daily, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT day, path, visible_ms, reports FROM torplus_attention_daily
		WHERE site = $1 AND day >= $2 AND day < $3 ORDER BY day, path`, site, int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Daily{}
	for rows.Next() {
		d := Daily{Site: site}
		var day int64
		if err := rows.Scan(&day, &d.Path, &d.VisibleMS, &d.Reports); err != nil {
			return nil, err
		}
		d.Day = Day(day)
		out = append(out, d)
	}
	return out, rows.Err()
}

var _ Store = (*SQLStore)(nil)
