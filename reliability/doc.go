// Package reliability holds the TorPlus reliability suite: crash
// consistency under kill -9, replay and forgery at scale, load from
// thousands of concurrent circuits, and injected faults (Stellar down or
// slow, PostgreSQL restarted, disk full), each against the real hoster
// process with real SQLite and PostgreSQL ledgers and a simulated Stellar
// network behind a real Horizon HTTP API.
//
// Every test records one row of the reliability table with internal/tally.
// `go test ./reliability/` runs small sizes; TORPLUS_LONG=1 runs the full
// ones, and reliability/run runs the whole suite and prints the table
// (docs/reliability.md).
package reliability
