// Package store stores what metering and payments must not lose: client
// sessions, the rounds they were granted, payment requests and the credits
// that paid them.
//
// One interface, DB, has two implementations sharing one SQL core:
// SQLite through the pure-Go modernc.org/sqlite driver (the embedded
// default, WAL mode) and PostgreSQL through pgx (for several replicas sharing
// one ledger). Store wraps a DB with a Batcher so the request hot path
// never waits on disk, and is shared across Caddy config reloads by Acquire.
//
// A payment request moves pending → settling → paid, or pending → expired;
// a submission the ledger refused, or one that can no longer land, moves
// it settling → pending again. A request stays settling, with its
// transaction hash, for as long as the outcome is unknown (however long a
// Stellar outage lasts): only pending requests expire. BeginSettle is the
// one atomic pending → settling step: it refuses a second settle of the same
// request and a second use of the same transaction hash, which is where
// replay protection lives. One step goes back: LedgerWatch.ReopenExpired
// moves an expired request to pending when the ledger shows a payment for
// it that closed before it expired (read late).
//
// Payment requests and credits belong to one zone (site): a credit counts
// only towards the allowance of its own zone's session.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// State is the life-cycle state of a payment request.
type State string

// Payment request states.
const (
	Pending  State = "pending"  // issued, not yet paid
	Settling State = "settling" // a payment is being submitted; no other may start
	Paid     State = "paid"     // the payment succeeded and the session was credited
	Expired  State = "expired"  // not paid before its expiry
)

// Errors returned by stores; test them with errors.Is.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrNotPending  = errors.New("store: payment request is not pending (already settling, paid or expired)")
	ErrExpired     = errors.New("store: payment request has expired")
	ErrTxSeen      = errors.New("store: transaction hash already used for a payment request")
	ErrNotSettling = errors.New("store: payment request is not settling with this transaction")
	ErrDuplicate   = errors.New("store: payment request id already exists")
	ErrClosed      = errors.New("store: store is closed")
)

// Session is the stored state of one metered client.
type Session struct {
	Key         string    // identity.Key text form; never a raw token
	FirstSeen   time.Time // first request
	LastSeen    time.Time // latest request
	BytesServed int64     // body bytes sent to the client in all
	FreeBytes   int64     // size of the free round it was granted (0 if none)
}

// Round is one round of bytes granted to a session: the free first round or
// a paid one.
type Round struct {
	Session        string    // session key
	N              int       // 1 for the first round
	Bytes          int64     // bytes the round covers
	Free           bool      // a free round
	PaymentRequest [32]byte  // the request that paid it (zero if free)
	StartedAt      time.Time // when the session began using it
}

// PaymentRequest is a payment request as stored: the request itself (the
// one type clients are sent and payments are verified against; its Callback
// and URI are not stored) and where it stands.
type PaymentRequest struct {
	payreq.Request
	Zone      string    `json:"zone"`    // the zone (site) that issued it: the only one that settles it
	Session   string    `json:"session"` // session key it credits, within Zone
	CreatedAt time.Time `json:"created_at"`
	State     State     `json:"state"`
	TxHash    string    `json:"tx_hash,omitempty"` // hex transaction hash, once settling or paid
	PaidAt    time.Time `json:"paid_at,omitzero"`  // zero unless paid
}

// Credit records bytes credited to a session by a paid request.
type Credit struct {
	Zone           string // the zone of the request that paid it
	Session        string
	PaymentRequest [32]byte
	TxHash         string
	Bytes          int64
	At             time.Time
}

// DB is the store's storage. Implementations are safe for concurrent
// use, including by several processes sharing one database.
type DB interface {
	// PutSessions inserts or updates sessions (matched by Key).
	PutSessions(ctx context.Context, s []Session) error
	// Session returns one session, or ErrNotFound.
	Session(ctx context.Context, key string) (Session, error)
	// Sessions lists sessions seen at or after since, newest first, at most limit.
	Sessions(ctx context.Context, since time.Time, limit int) ([]Session, error)

	// AddRounds records rounds; a round already recorded (same session and N) is kept as is.
	AddRounds(ctx context.Context, r []Round) error
	// Rounds lists a session's rounds in order.
	Rounds(ctx context.Context, session string) ([]Round, error)

	// PutPaymentRequests stores new pending requests; an existing id is ErrDuplicate.
	PutPaymentRequests(ctx context.Context, p []PaymentRequest) error
	// PaymentRequest returns one request, or ErrNotFound.
	PaymentRequest(ctx context.Context, id [32]byte) (PaymentRequest, error)
	// PaymentRequests lists requests of every zone in state (all if ""),
	// newest first, at most limit.
	PaymentRequests(ctx context.Context, state State, limit int) ([]PaymentRequest, error)
	// ZonePaymentRequests is PaymentRequests for one zone's requests only.
	ZonePaymentRequests(ctx context.Context, zone string, state State, limit int) ([]PaymentRequest, error)

	// BeginSettle atomically moves a pending, unexpired request to settling
	// with txHash. Exactly one of any number of concurrent calls succeeds;
	// the others get ErrNotPending, ErrTxSeen, ErrExpired or ErrNotFound.
	BeginSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (PaymentRequest, error)
	// FinishSettle moves a request settling with txHash to paid and records
	// the Credit for its session, in one transaction.
	FinishSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (Credit, error)
	// ReleaseSettle moves a request settling with txHash back to pending
	// (the ledger refused the transaction, or it can no longer land),
	// freeing the transaction hash.
	ReleaseSettle(ctx context.Context, id [32]byte, txHash string) error
	// ExpirePending moves pending requests whose expiry is at or before now
	// to expired. Settling requests never expire: their outcome is looked up.
	ExpirePending(ctx context.Context, now time.Time) (int64, error)

	// Credits lists the credits of a zone's session in order.
	Credits(ctx context.Context, zone, session string) ([]Credit, error)
	// CreditedBytes sums the bytes credited to a zone's session; credits
	// of other zones never count.
	CreditedBytes(ctx context.Context, zone, session string) (int64, error)

	// Close releases the database.
	Close() error
}
