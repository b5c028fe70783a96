package store

import "database/sql"

// SQL returns the database behind a DB opened by OpenSQLite or
// OpenPostgres, or behind a Store wrapping one, with its driver name
// ("sqlite" or "postgres"), so other TorPlus modules can keep their own
// tables in the store's database. ok is false for any other DB. The
// database belongs to the store: never close it.
func SQL(s DB) (db *sql.DB, driver string, ok bool) {
	if l, isLedger := s.(*Store); isLedger {
		s = l.DB
	}
	ss, isSQL := s.(*sqlStore)
	if !isSQL {
		return nil, "", false
	}
	return ss.db, ss.d.name, true
}
