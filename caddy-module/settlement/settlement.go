// Package settlement owns the settlement of payments for one zone (site):
// every payment posted to the site, however it arrives (a SEP-7 callback,
// a Payment or x402 credential; a classic envelope or a token-contract
// transfer), goes through Service.Pay, which verifies it
// against its payment request, moves the request pending → settling
// (refusing replays), submits it to the zone's backend and then credits the
// session (settling → paid) or frees the request (settling → pending).
//
// A submission whose outcome is unknown — the backend did not answer in
// time, however long the Stellar outage lasts — leaves the request settling
// with its transaction hash. One worker goroutine per Service then retries
// it with back-off and looks it up until the ledger gives a verdict: credit
// if the transaction landed, release if it failed or can no longer land
// (its max_time, which is never later than the request's expiry, has
// passed) — unless the backend's history window (a Stellar RPC's
// retention) no longer reaches back to the request's creation: "not
// found" then proves nothing, and the request stays settling, logged for
// the owner (Service.forgotten). A token-contract payment that another submitter (an x402
// facilitator) may have landed without naming its transaction is decided
// by the payer's authorization nonce: used by exactly this transfer, it is
// credited; used by another authorization, released (Service.byNonce,
// stellarpay.AuthFinder). The same worker finishes settlements a crash
// cut short, from the store alone.
//
// With the rpc backend a second goroutine, the ledger watcher
// (WatchLedger), credits the payments wallets send straight to the
// network, to a request's muxed address or with its memo, through the
// same store transitions, once per event.
//
// A request is paid only at its own zone and through its own backend; and
// failed verifications are counted per payment request and per client, so a
// flood of forged envelopes is refused (429) before it costs any ed25519
// check.
package settlement

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// DefaultTimeout bounds one submission to the backend, its retries included.
const DefaultTimeout = 15 * time.Second

// Config is what a Service needs.
type Config struct {
	// Zone is the zone whose payment requests the Service settles; a
	// request of another zone is unknown to it.
	Zone string
	// Store holds the zone's payment requests and credits.
	Store *store.Store
	// Backend submits payments (and, as a stellarpay.Finder, looks them up).
	Backend stellarpay.Settler
	// Timeout bounds one submission (DefaultTimeout when zero); past it the
	// payer is answered 503 and the worker carries on.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Failures bounds failed verifications.
	Failures Limits
	// Log hears of credits, releases and store errors; nil means none.
	Log *zap.Logger
}

// Receipt is a payment endpoint's answer once a payment is credited.
type Receipt struct {
	Status string `json:"status"` // "paid"
	ID     string `json:"id"`
	TxHash string `json:"tx_hash"`
	Ledger uint32 `json:"ledger,omitempty"`
	Bytes  int64  `json:"bytes"`
}

// Service settles one zone's payments. Its methods are safe for
// concurrent use.
type Service struct {
	cfg     Config
	limiter *limiter

	mu      sync.Mutex
	waiting map[[32]byte]*stellarpay.Payment // by hash: submitted, outcome unknown
	forgot  map[payreq.ID]bool               // settlements the ledger's window no longer covers, logged once

	life   context.Context // cancelled by Close: ends submissions and look-ups in flight
	cancel context.CancelFunc
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	// watching counts the ledger watcher (WatchLedger), if started.
	watching sync.WaitGroup
}

// New starts the Service and its worker, which at once looks for
// settlements left unfinished in the store. Close stops it.
func New(cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	life, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, limiter: newLimiter(cfg.Failures.withDefaults()), life: life, cancel: cancel,
		waiting: make(map[[32]byte]*stellarpay.Payment),
		forgot:  make(map[payreq.ID]bool),
		kick:    make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go s.run() // the worker; WatchLedger may add the ledger watcher
	return s
}

// Close stops the worker and the ledger watcher and waits for them; submissions and look-ups in
// flight are cancelled, so a config reload never waits on a Stellar outage.
// Settlements still unknown stay settling in the store, where the next
// Service of the zone finds them.
func (s *Service) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
		s.cancel()
	}
	<-s.done
	s.watching.Wait()
}

// wake asks the worker for a pass now.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sleep waits d, or until woken (true) or stopped (false): the one back-off
// wait of the package.
func (s *Service) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.kick:
		return true
	case <-s.stop:
		return false
	}
}

// withTimeout bounds one submission or look-up by the settlement timeout
// and the Service's life, not by the client's connection: a payer who
// hangs up does not cut a settlement short.
func (s *Service) withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.life, s.cfg.Timeout)
}
