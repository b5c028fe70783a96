package store

import (
	"context"
	"database/sql"
	"sync"
)

// Tables other packages keep in the store's database, whose rows
// retention deletes with the store's own: registered at init (the
// attention handler's per-round and per-day tables), each used only in a
// database where it exists.
var dependents struct {
	mu      sync.Mutex
	session []string   // tables with a session column (a session key)
	daily   []dayTable // tables dated by a day number
}

// dayTable is a table whose rows are dated by column, a count of days
// since 1970-01-01 UTC, and keyed by key (its primary key's columns).
type dayTable struct{ table, column, key string }

// RegisterSessionTable declares table, kept by another package in the
// store's database, whose column session holds a store session key
// (Session.Key): its rows are deleted with their session when retention
// prunes it. Call it from an init function.
func RegisterSessionTable(table string) {
	dependents.mu.Lock()
	defer dependents.mu.Unlock()
	dependents.session = append(dependents.session, table)
}

// RegisterDayTable declares table, kept by another package in the store's
// database, whose column counts days since 1970-01-01 UTC: its rows dated
// before Retention.PaidHistory are deleted, a batch of rows (picked by
// the primary key's columns, key: "site, day, path") per transaction.
// Call it from an init function.
func RegisterDayTable(table, column, key string) {
	dependents.mu.Lock()
	defer dependents.mu.Unlock()
	dependents.daily = append(dependents.daily, dayTable{table, column, key})
}

// registered returns the dependent tables that exist in the database.
func (s *sqlStore) registered(ctx context.Context) (session []string, daily []dayTable, err error) {
	dependents.mu.Lock()
	allSession, allDaily := append([]string(nil), dependents.session...), append([]dayTable(nil), dependents.daily...)
	dependents.mu.Unlock()
	for _, t := range allSession {
		ok, err := s.tableExists(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			session = append(session, t)
		}
	}
	for _, t := range allDaily {
		ok, err := s.tableExists(ctx, t.table)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			daily = append(daily, t)
		}
	}
	return session, daily, nil
}

// tableExists reports whether the database has a table called name.
func (s *sqlStore) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`
	if s.d.numbered {
		q = `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var one int
	switch err := s.rdb.QueryRowContext(ctx, s.q(q), name).Scan(&one); err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	default:
		return false, err
	}
}
