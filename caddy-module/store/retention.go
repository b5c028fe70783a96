package store

import (
	"time"

	"github.com/caddyserver/caddy/v2"
)

// Retention says how long the store keeps rows it no longer needs, and
// how it deletes them: on a schedule, off the request path, a batch of
// rows per transaction. It is part of Config; zero fields take the
// defaults below. Modules sharing one database share one Store, and the
// first to open it sets its retention.
type Retention struct {
	// ExpiredAfter is how long an expired payment request is kept after
	// its expiry (default 7 days), so a late payment can still be matched
	// to it by hand.
	ExpiredAfter caddy.Duration `json:"expired_after,omitempty"`
	// UnpaidAfter is how long the row of a session that never paid is
	// kept after its last request (default 24 hours): a client back
	// within it finds its spent free round.
	UnpaidAfter caddy.Duration `json:"unpaid_after,omitempty"`
	// PaidHistory is how long a session that paid is kept after its last
	// request, with its paid requests, credits and rounds — the history
	// revenue reports are built from (default 400 days: a year of
	// reports and a month to spare) — and how long the transactions
	// settlement submitted are remembered. Sightings (payments seen on
	// the ledger) are kept: money the owner received.
	PaidHistory caddy.Duration `json:"paid_history,omitempty"`
	// Every is how often retention runs (default 10 minutes).
	Every caddy.Duration `json:"every,omitempty"`
	// Batch is how many rows one delete transaction takes at most
	// (default 500): short transactions, so request writes queued behind
	// SQLite's one writer, or PostgreSQL's row locks, wait milliseconds.
	Batch int `json:"batch,omitempty"`
	// Off turns scheduled retention off (the rows are kept forever).
	Off bool `json:"off,omitempty"`
}

// Retention defaults.
const (
	DefaultExpiredAfter = 7 * 24 * time.Hour
	DefaultUnpaidAfter  = 24 * time.Hour
	DefaultPaidHistory  = 400 * 24 * time.Hour
	DefaultRetainEvery  = 10 * time.Minute
	DefaultRetainBatch  = 500
)

// withDefaults fills in zero fields.
func (r Retention) withDefaults() Retention {
	def := func(d *caddy.Duration, v time.Duration) {
		if *d <= 0 {
			*d = caddy.Duration(v)
		}
	}
	def(&r.ExpiredAfter, DefaultExpiredAfter)
	def(&r.UnpaidAfter, DefaultUnpaidAfter)
	def(&r.PaidHistory, DefaultPaidHistory)
	def(&r.Every, DefaultRetainEvery)
	if r.Batch <= 0 {
		r.Batch = DefaultRetainBatch
	}
	return r
}

// Pruned counts what one retention run deleted.
type Pruned struct {
	Expired  int64 // expired payment requests
	Unpaid   int64 // sessions that never paid
	Paid     int64 // sessions that paid, past PaidHistory
	Requests int64 // payment requests of those paid sessions
	Credits  int64 // their credits

	Submissions int64 // transactions settlement sent, past PaidHistory
	Sightings   int64 // payments seen on the ledger, past PaidHistory

	Dependent int64 // rows of other packages' registered tables (RegisterSessionTable, RegisterDayTable)
}

// maxBatches bounds the batches of one kind in one run: a backlog larger
// than maxBatches × Batch rows is worked off over several runs.
const maxBatches = 200

// vacuumPages is how many free pages an SQLite run gives back to the file
// system at most (16 MiB of 4 KiB pages).
const vacuumPages = 4096
