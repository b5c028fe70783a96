package ledger

import "database/sql"

// SQL returns the database behind a Store opened by OpenSQLite or
// OpenPostgres, or behind a Ledger wrapping one, with its driver name
// ("sqlite" or "postgres"), so other TorPlus modules can keep their own
// tables in the ledger's database. ok is false for any other Store. The
// database belongs to the store: never close it.
func SQL(s Store) (db *sql.DB, driver string, ok bool) {
	if l, isLedger := s.(*Ledger); isLedger {
		s = l.Store
	}
	ss, isSQL := s.(*sqlStore)
	if !isSQL {
		return nil, "", false
	}
	return ss.db, ss.d.name, true
}
