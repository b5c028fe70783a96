package attention

import (
	"context"
	"database/sql"

	"github.com/torplus/torplus/caddy-module/store"
)

// PageRound is what one metered session read of one page in one round of
// bytes: the unit a payment is split by. Only paid rounds are kept (free-
// round attention moves no money, so it is not stored per session).
type PageRound struct {
	Site string `json:"site"`
	// Session is the meter's key of the client (identity.Key text form,
	// as store.Session.Key and store.PaymentRequest.Session).
	Session string `json:"session"`
	// Round is the store round number (store.Round.N) the session was
	// using: 2 is its first paid round.
	Round     int    `json:"round"`
	Path      string `json:"path"`
	VisibleMS int64  `json:"visible_ms"` // accepted visible time
	Reports   int64  `json:"reports"`    // accepted reports
	Bytes     int64  `json:"bytes"`      // bytes of the page's own responses (the fallback weight)
}

type pageRoundKey struct {
	site, session, path string
	round               int
}

// Retention deletes a session's per-round rows with the session, and
// per-day rows once older than the store's paid history.
func init() {
	store.RegisterSessionTable("torplus_attention_rounds")
	store.RegisterDayTable("torplus_attention_daily", "day", "site, day, path")
}

// createRounds is the DDL of the per-session table; both dialects take it.
const createRounds = `CREATE TABLE IF NOT EXISTS torplus_attention_rounds (
		site TEXT NOT NULL,
		session TEXT NOT NULL,
		round INTEGER NOT NULL,
		path TEXT NOT NULL,
		visible_ms BIGINT NOT NULL,
		reports BIGINT NOT NULL,
		bytes BIGINT NOT NULL,
		PRIMARY KEY (site, session, round, path))`

// addRounds adds rows to the stored per-session totals inside tx.
func (s *SQLStore) addRounds(ctx context.Context, tx *sql.Tx, rows []PageRound) error {
	if len(rows) == 0 {
		return nil
	}
	return s.upsert(ctx, tx, roundsTable, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.Site, r.Session, r.Round, r.Path, r.VisibleMS, r.Reports, r.Bytes}
	})
}

// PageRounds implements Store.
func (s *SQLStore) PageRounds(ctx context.Context, site, session string) ([]PageRound, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT round, path, visible_ms, reports, bytes FROM torplus_attention_rounds
		WHERE site = $1 AND session = $2 ORDER BY round, path`, site, session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PageRound{}
	for rows.Next() {
		p := PageRound{Site: site, Session: session}
		if err := rows.Scan(&p.Round, &p.Path, &p.VisibleMS, &p.Reports, &p.Bytes); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
