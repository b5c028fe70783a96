package settlement

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// DefaultWatchInterval is how often the ledger watcher asks for new
// events when it has read them all.
const DefaultWatchInterval = time.Second

// watchPage is the most events one getEvents read asks for.
const watchPage = 1000

// WatchConfig is what the ledger watcher of a zone needs.
type WatchConfig struct {
	// Client is the RPC client (the rpc backend's: stellarpay.RPCSettler.RPCClient).
	Client *rpcclient.Client
	// Asset is the asset paid in, on the network with Passphrase, to Payee.
	Asset      xdr.Asset
	Passphrase string
	Payee      string
	// Interval is the wait between two reads once caught up
	// (DefaultWatchInterval when zero).
	Interval time.Duration
	// Lookback is how far back, in ledgers, the zone's very first read
	// starts (stellarpay.Watcher.Lookback): at least a request's lifetime,
	// so that a payment made before the watcher first reached the RPC is
	// seen.
	Lookback uint32
}

// WatchLedger starts the zone's ledger watcher: it reads the payee's
// incoming transfers with getEvents, from the cursor the store keeps for
// the zone (so a restart or a config reload resumes where the last one
// stopped), finds each one's payment request in the store by its muxed
// id or memo (any replica's), and credits it once by (transaction hash,
// event index) through the same store transitions as Pay. Every payment
// seen is recorded (store.Sighting): credited, short, late or unmatched.
// Close stops it.
func (s *Service) WatchLedger(cfg WatchConfig) error {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultWatchInterval
	}
	w, err := stellarpay.NewWatcher(cfg.Client, cfg.Asset, cfg.Passphrase, cfg.Payee, storeMatcher{s}, zoneCursor{s}, s.sighted)
	if err != nil {
		return err
	}
	w.Limit, w.Lookback = watchPage, cfg.Lookback
	w.Skipped = func(c protocol.Cursor, start uint32, h protocol.GetHealthResponse) {
		s.cfg.Log.Warn("the saved ledger cursor is outside the RPC's retention window (the watcher was stopped longer than the RPC keeps ledgers, or the cursor is another network's): payments in the ledgers between were not seen; the payee's account history shows them",
			zap.String("zone", s.cfg.Zone), zap.Uint32("cursor_ledger", c.Ledger), zap.Uint32("resume_ledger", start),
			zap.Uint32("oldest_ledger", h.OldestLedger), zap.Uint32("latest_ledger", h.LatestLedger))
	}
	s.watching.Add(1)
	go s.watch(w, cfg.Interval)
	return nil
}

// watch polls until the Service closes: at once again after a full page,
// else every interval. A failing RPC or store is logged once, and its
// recovery.
func (s *Service) watch(w *stellarpay.Watcher, every time.Duration) {
	defer s.watching.Done()
	failing := false
	for {
		n, err := w.Poll(s.life)
		switch {
		case s.life.Err() != nil:
			return
		case err != nil && !failing:
			s.cfg.Log.Warn("reading payments on the ledger (retrying)", zap.String("zone", s.cfg.Zone), zap.Error(err))
		case err == nil && failing:
			s.cfg.Log.Info("reading payments on the ledger again", zap.String("zone", s.cfg.Zone))
		}
		failing = err != nil
		if err == nil && n >= watchPage {
			continue
		}
		t := time.NewTimer(every)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

// sighted handles one payment seen on the ledger: a transaction this
// zone submitted itself (Pay) is its own credit already; any other is
// credited if the watcher found it pays its request, and recorded.
func (s *Service) sighted(ctx context.Context, g stellarpay.Sighting) error {
	w, err := s.cfg.Store.Watch(ctx)
	if err != nil {
		return err
	}
	if ours, err := w.Submitted(ctx, g.TxHash); err != nil || ours {
		return err
	}
	verdict := g.Verdict
	if verdict == stellarpay.Credited {
		if verdict, err = s.creditSighting(ctx, g); err != nil {
			return err
		}
	}
	rec := store.Sighting{Key: g.Key, Zone: s.cfg.Zone, TxHash: g.TxHash, Ledger: g.Ledger, ClosedAt: g.ClosedAt,
		From: g.From, Amount: payreq.Amount(g.Amount), Dest: destText(g.Dest), Verdict: verdict, SeenAt: s.cfg.Now().UTC()}
	if g.Request.ID != ([32]byte{}) {
		rec.PaymentRequest = payreq.ID(g.Request.ID)
	}
	added, err := w.RecordSighting(ctx, rec)
	if added && verdict != stellarpay.Credited {
		s.cfg.Log.Warn("payment seen on the ledger, not credited", zap.String("zone", s.cfg.Zone), zap.String("verdict", verdict),
			zap.String("tx", g.TxHash), zap.Int64("amount", g.Amount), zap.String("dest", rec.Dest))
	}
	return err
}

// creditSighting credits the request a payment seen on the ledger pays,
// exactly once: BeginSettle under the event's key (unique, like any
// transaction hash) at the ledger's close time, then FinishSettle. The
// event seen again (a restart before the cursor was saved, another
// replica, a reload's two watchers) finds its key taken and credits
// nothing more. A request paid or expired meanwhile makes the payment
// unmatched or late.
func (s *Service) creditSighting(ctx context.Context, g stellarpay.Sighting) (string, error) {
	id := payreq.ID(g.Request.ID)
	if g.Request.PaidBy != g.Key {
		pr, err := s.cfg.Store.BeginSettle(ctx, id, g.Key, g.ClosedAt)
		if errors.Is(err, store.ErrNotPending) && pr.State == store.Expired {
			// Paid in time, read after the request expired (the watcher was
			// behind): reopen it and settle as then.
			pr, err = s.reopen(ctx, id, g)
		}
		switch {
		case errors.Is(err, store.ErrTxSeen):
			// Taken by another watcher between its two steps: finish it.
		case errors.Is(err, store.ErrExpired) || (errors.Is(err, store.ErrNotPending) && pr.State == store.Expired):
			return stellarpay.Late, nil
		case errors.Is(err, store.ErrNotPending) && pr.TxHash == g.Key:
		case errors.Is(err, store.ErrNotPending), errors.Is(err, store.ErrNotFound):
			return stellarpay.Unmatched, nil
		case err != nil:
			return "", err
		}
	}
	if _, err := s.finish(ctx, id, g.Key, g.Ledger); err != nil {
		return "", err
	}
	return stellarpay.Credited, nil
}

// reopen moves an expired request a payment closed in time for back to
// pending and begins its settlement under the event's key.
func (s *Service) reopen(ctx context.Context, id payreq.ID, g stellarpay.Sighting) (store.PaymentRequest, error) {
	w, err := s.cfg.Store.Watch(ctx)
	if err != nil {
		return store.PaymentRequest{}, err
	}
	ok, err := w.ReopenExpired(ctx, id, g.ClosedAt)
	switch {
	case err != nil:
		return store.PaymentRequest{}, err
	case !ok: // expired before the payment closed, or no longer expired
		return store.PaymentRequest{State: store.Expired}, store.ErrNotPending
	}
	s.cfg.Log.Info("reopened an expired payment request paid in time", zap.Stringer("id", id), zap.String("tx", g.TxHash))
	return s.cfg.Store.BeginSettle(ctx, id, g.Key, g.ClosedAt)
}

// isEventKey tells a Sighting.Key (hash:op:event) from a transaction hash
// or a SAC payment's replay key (64 hex digits) in a request's tx_hash.
func isEventKey(h string) bool { return strings.Contains(h, ":") }
