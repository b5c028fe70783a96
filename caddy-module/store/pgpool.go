package store

import "database/sql"

// maxPostgresConns bounds one store's connections to PostgreSQL. Without a
// bound a burst of concurrent requests (each replica's meter leases, the
// attention handler's group commits) opens a connection each and fails
// past the server's max_connections ("sorry, too many clients already",
// 100 by default, shared by all replicas); with one, requests wait for a
// connection. As many are kept idle, so a busy store does not reconnect.
// No store method uses a second connection while it holds one (each
// transaction uses only its own), so the bound cannot deadlock.
const maxPostgresConns = 16

// limitPool applies maxPostgresConns to db.
func limitPool(db *sql.DB) {
	db.SetMaxOpenConns(maxPostgresConns)
	db.SetMaxIdleConns(maxPostgresConns)
}
