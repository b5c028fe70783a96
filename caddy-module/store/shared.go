package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// Config selects the store database. It is embedded in the JSON config of
// the modules that use the ledger; modules with equal configs share one
// Store.
type Config struct {
	// Driver is "sqlite" (the default, embedded) or "postgres".
	Driver string `json:"driver,omitempty"`
	// DSN is, for sqlite, the database file path (default
	// "<caddy data dir>/torplus/store.db"); for postgres, a connection
	// URL or key=value string.
	DSN string `json:"dsn,omitempty"`
	// FlushInterval is how often queued writes are stored (default 200ms).
	FlushInterval caddy.Duration `json:"flush_interval,omitempty"`
	// Retention is how long rows no longer needed are kept (retention.go).
	Retention Retention `json:"retention,omitempty"`
}

// ErrBadDriver means Config.Driver names no supported database.
var ErrBadDriver = errors.New(`ledger: driver must be "sqlite" or "postgres"`)

// withDefaults fills in the default driver and SQLite path.
func (c Config) withDefaults() (Config, error) {
	switch c.Driver {
	case "", "sqlite":
		c.Driver = "sqlite"
		if c.DSN == "" {
			c.DSN = filepath.Join(caddy.AppDataDir(), "torplus", "store.db")
		}
		if abs, err := filepath.Abs(c.DSN); err == nil {
			c.DSN = abs // one file, one shared Store, however its path is spelled
		}
	case "postgres":
		if c.DSN == "" {
			return c, fmt.Errorf("store: postgres needs a dsn")
		}
	default:
		return c, fmt.Errorf("%w, not %q", ErrBadDriver, c.Driver)
	}
	return c, nil
}

// Key names the database cfg selects, defaults filled in: equal keys
// mean the same Store.
func (c Config) Key() (string, error) {
	c, err := c.withDefaults()
	return c.Driver + "\x00" + c.DSN, err
}

// Validate checks the config without opening anything.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// Store is a shared DB with batched writes: reads and the settle steps
// go straight to the database; sessions, rounds and new payment requests are
// queued. A payment request still queued is written before it is read or
// settled. Subscribers hear of every credit this process records.
type Store struct {
	DB
	batch  *Batcher
	leases leaseGroup
	key    string

	mu   sync.Mutex
	subs map[int]func(Credit)
	next int

	retainStop context.CancelFunc // stops the retention goroutine (nil: none)
	retainDone chan struct{}      // closed when it has stopped
}

var pool = caddy.NewUsagePool()

// Acquire returns the Store for cfg, opening it on first use. Every
// Acquire must be paired with a Release; the last Release flushes and
// closes it. Config reloads that keep the same config keep the same Store.
func Acquire(ctx context.Context, cfg Config, onErr func(error)) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	key, _ := cfg.Key()
	v, _, err := pool.LoadOrNew(key, func() (caddy.Destructor, error) {
		var s DB
		var err error
		if cfg.Driver == "sqlite" {
			if err := os.MkdirAll(filepath.Dir(cfg.DSN), 0o700); err != nil {
				return nil, err
			}
			s, err = OpenSQLite(ctx, cfg.DSN)
		} else {
			s, err = OpenPostgres(ctx, cfg.DSN)
		}
		if err != nil {
			return nil, err
		}
		l := &Store{DB: s, key: key, batch: NewBatcher(s, time.Duration(cfg.FlushInterval), onErr),
			subs: make(map[int]func(Credit))}
		l.retain(cfg.Retention, onErr)
		return l, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Store), nil
}

// Release gives back one Acquire.
func (l *Store) Release() error {
	_, err := pool.Delete(l.key)
	return err
}

// Destruct flushes queued writes and closes the store; the pool calls it
// after the last Release.
func (l *Store) Destruct() error {
	l.stopRetention()
	return errors.Join(l.batch.Close(), l.DB.Close())
}

// Close is Destruct, for a Store built with New rather than Acquire.
func (l *Store) Close() error { return l.Destruct() }

// New wraps store in a Store that is not shared through Acquire.
func New(store DB, flushEvery time.Duration, onErr func(error)) *Store {
	return &Store{DB: store, batch: NewBatcher(store, flushEvery, onErr), subs: make(map[int]func(Credit))}
}

// QueueSession queues a session update; see Batcher.
func (l *Store) QueueSession(s Session) { l.batch.QueueSession(s) }

// QueueRound queues a round record.
func (l *Store) QueueRound(r Round) { l.batch.QueueRound(r) }

// QueuePaymentRequest queues a new payment request.
func (l *Store) QueuePaymentRequest(p PaymentRequest) { l.batch.QueuePaymentRequest(p) }

// Flush writes all queued writes now.
func (l *Store) Flush(ctx context.Context) error { return l.batch.Flush(ctx) }

func (l *Store) flushIfQueued(ctx context.Context, id [32]byte) error {
	if l.batch.Pending(id) {
		return l.batch.Flush(ctx)
	}
	return nil
}

// PaymentRequest returns one request, writing it first if still queued.
func (l *Store) PaymentRequest(ctx context.Context, id [32]byte) (PaymentRequest, error) {
	if err := l.flushIfQueued(ctx, id); err != nil {
		return PaymentRequest{}, err
	}
	return l.DB.PaymentRequest(ctx, id)
}

// BeginSettle is DB.BeginSettle, writing the request first if still queued.
func (l *Store) BeginSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (PaymentRequest, error) {
	if err := l.flushIfQueued(ctx, id); err != nil {
		return PaymentRequest{}, err
	}
	return l.DB.BeginSettle(ctx, id, txHash, now)
}

// FinishSettle is DB.FinishSettle; on success it tells every subscriber
// of the credit, so this process's meter credits the session at once.
func (l *Store) FinishSettle(ctx context.Context, id [32]byte, txHash string, now time.Time) (Credit, error) {
	c, err := l.DB.FinishSettle(ctx, id, txHash, now)
	if err != nil {
		return c, err
	}
	l.mu.Lock()
	subs := make([]func(Credit), 0, len(l.subs))
	for _, f := range l.subs {
		subs = append(subs, f)
	}
	l.mu.Unlock()
	for _, f := range subs {
		f(c)
	}
	return c, nil
}

// OnCredit calls f for every credit recorded through this Store until the
// returned cancel is called. f must not block.
func (l *Store) OnCredit(f func(Credit)) (cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	l.subs[id] = f
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.subs, id)
	}
}

var _ DB = (*Store)(nil)
