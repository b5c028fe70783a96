package settlement

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// Back-off of the worker: the first wait after a pass that left work, and
// the longest.
var (
	firstWait = time.Second
	longWait  = 30 * time.Second
)

// recoverBatch is how many settling payment requests one pass reads.
const recoverBatch = 1000

// await hands a payment whose outcome is unknown to the worker.
func (s *Service) await(pay *stellarpay.Payment) {
	s.mu.Lock()
	s.waiting[pay.Hash] = pay
	s.mu.Unlock()
	s.wake()
}

// run is the worker: a pass at start (settlements a crash left), then one
// whenever woken, and with back-off while any settlement is still open.
func (s *Service) run() {
	defer close(s.done)
	wait := firstWait
	for {
		open := s.pass(s.life)
		if open == 0 {
			wait = firstWait
			select { // nothing to do until a payment needs the worker
			case <-s.kick:
				continue
			case <-s.stop:
				return
			}
		}
		if !s.sleep(wait) {
			return
		}
		wait = min(2*wait, longWait)
	}
}

// pass tries every open settlement of the zone once and returns how many
// are still open.
func (s *Service) pass(ctx context.Context) (open int) {
	prs, err := s.cfg.Store.ZonePaymentRequests(ctx, s.cfg.Zone, store.Settling, recoverBatch)
	if err != nil {
		s.cfg.Log.Error("reading settling payment requests", zap.Error(err))
		return 1
	}
	for _, pr := range prs {
		if ctx.Err() != nil {
			return open + 1 // closing
		}
		if !s.settle(ctx, pr) {
			open++
		}
	}
	s.mu.Lock()
	for h, pay := range s.waiting { // payments no longer settling were decided elsewhere
		if !settlingWith(prs, pay.ID, pay.HashHex()) && len(prs) < recoverBatch {
			delete(s.waiting, h)
		}
	}
	s.mu.Unlock()
	return open
}

func settlingWith(prs []store.PaymentRequest, id payreq.ID, hash string) bool {
	for _, pr := range prs {
		if pr.ID == id && pr.TxHash == hash {
			return true
		}
	}
	return false
}

// settle tries to reach a verdict for one settling request and reports
// whether it did. It asks the ledger first: a transaction it holds is
// credited (or, failed, released). Otherwise a SAC payment this Service
// holds is decided by its payer's nonce when the ledger shows it used
// (byNonce); any payment it holds the envelope of is submitted again
// while it can land (and, refused, asked about by its nonce again); a request
// whose transaction can no longer land (past its expiry, and so past the
// transaction's max_time, by a settlement timeout) is released. While the
// ledger cannot be asked, nothing is decided.
func (s *Service) settle(ctx context.Context, pr store.PaymentRequest) (decided bool) {
	var hash [32]byte
	s.mu.Lock()
	var pay *stellarpay.Payment
	for h, p := range s.waiting {
		if p.ID == pr.ID && p.HashHex() == pr.TxHash {
			pay, hash = p, h
		}
	}
	s.mu.Unlock()
	done := func() bool {
		s.mu.Lock()
		delete(s.waiting, hash)
		s.mu.Unlock()
		return true
	}
	if isEventKey(pr.TxHash) {
		// A payment seen on the ledger, interrupted between its two steps:
		// the watcher saw it land.
		if _, err := s.finish(ctx, pr.ID, pr.TxHash, 0); err != nil {
			return false
		}
		return done()
	}
	found, landed, known := s.lookup(pr.TxHash)
	switch {
	case !known:
		return false
	case found && landed:
		if _, err := s.finish(ctx, pr.ID, pr.TxHash, 0); err != nil {
			return false
		}
		s.cfg.Log.Info("credited a payment whose outcome was unknown", zap.Stringer("id", pr.ID), zap.String("tx", pr.TxHash))
		return done()
	case found:
		s.release(ctx, pr.ID, pr.TxHash)
		return done()
	}
	if decided, told := s.byNonce(ctx, pr, pay); told {
		return decided && done()
	}
	now := s.cfg.Now()
	if now.After(pr.ExpiresAt.Add(s.cfg.Timeout)) {
		if s.forgotten(ctx, pr) {
			return false
		}
		s.release(ctx, pr.ID, pr.TxHash)
		s.cfg.Log.Info("released a settlement whose transaction never landed", zap.Stringer("id", pr.ID), zap.String("tx", pr.TxHash))
		return done()
	}
	if pay == nil || now.After(pay.MaxTime) {
		return false // only a look-up can tell now
	}
	sctx, cancel := s.withTimeout()
	rc, err := s.cfg.Backend.Settle(sctx, pay)
	cancel()
	switch {
	case err == nil:
		if _, err := s.finish(ctx, pr.ID, pr.TxHash, rc.Ledger); err != nil {
			return false
		}
		return done()
	case errors.Is(err, stellarpay.ErrUnavailable):
		return false
	}
	// Refused now, but an earlier submission may have landed meanwhile,
	// or one this Service never heard of (a SAC payment's nonce used).
	if found, landed, known := s.lookup(pr.TxHash); !known || (found && landed) {
		return false // the next pass credits it, or asks again
	}
	if decided, told := s.byNonce(ctx, pr, pay); told {
		return decided && done()
	}
	s.release(ctx, pr.ID, pr.TxHash)
	return done()
}

// forgotten reports whether "not found" cannot mean "never landed" for
// pr: the backend keeps a window of history (stellarpay.HistoryWindow)
// that no longer reaches back to pr's creation, before which no payment
// of it can have landed (or the window could not be asked). Such a
// settlement stays open rather than being released (a payment that did
// land would never be credited, and its request could be paid again); it
// is logged once, for the owner to check the payee's history on a
// full-history source.
func (s *Service) forgotten(ctx context.Context, pr store.PaymentRequest) bool {
	hw, ok := s.cfg.Backend.(stellarpay.HistoryWindow)
	if !ok {
		return false
	}
	hctx, cancel := s.withTimeout()
	oldest, err := hw.OldestLedgerTime(hctx)
	cancel()
	if err == nil && !oldest.After(pr.CreatedAt) {
		return false
	}
	s.mu.Lock()
	first := !s.forgot[pr.ID]
	s.forgot[pr.ID] = true
	s.mu.Unlock()
	if first && err == nil {
		s.cfg.Log.Error("cannot tell whether a settlement's transaction landed: the ledger no longer keeps the ledgers it could be in; it stays settling (check the payee's account history on a full-history source)",
			zap.Stringer("id", pr.ID), zap.String("tx", pr.TxHash), zap.Time("created", pr.CreatedAt), zap.Time("oldest_ledger", oldest))
	}
	return true
}

// byNonce decides a SAC payment held here by what became of its
// authorization (stellarpay.AuthFinder), for when no transaction the
// store knows of was found: one a facilitator submitted without its
// answer arriving is found by the payer's nonce, recorded as sent for the
// payment and credited (the store's settling → paid credits once); an
// authorization that can never land (its nonce used by another
// authorization of the payer, or expired unused) is released. told is
// false when the payment can still land, or is not a SAC payment this
// Service holds, or the backend cannot tell: settle goes on. While the
// ledger cannot be asked, told is true and nothing is decided.
//
// A payment a crash made the Service forget (pay nil) cannot be asked
// about: its authorization is known only from its envelope. Only the
// transactions recorded for it are looked up then, and it is released
// past its expiry.
func (s *Service) byNonce(ctx context.Context, pr store.PaymentRequest, pay *stellarpay.Payment) (decided, told bool) {
	af, ok := s.cfg.Backend.(stellarpay.AuthFinder)
	if !ok || pay == nil {
		return false, false
	}
	if _, isSAC, err := stellarpay.ReadSACTransfer(pay.Envelope); err != nil || !isSAC {
		return false, false
	}
	actx, cancel := s.withTimeout()
	a, err := af.FindAuthorization(actx, pay)
	cancel()
	log := []zap.Field{zap.Stringer("id", pr.ID), zap.String("replay_key", pr.TxHash), zap.Int64("nonce", a.Nonce),
		zap.Uint32("expiration_ledger", a.Expiration), zap.Bool("nonce_used", a.Entry.Used), zap.Uint32("nonce_ledger", a.Entry.Ledger)}
	switch {
	case err != nil:
		s.cfg.Log.Warn("asking the ledger about a payment's authorization (retrying)", append(log, zap.Error(err))...)
		return false, true
	case a.Landed:
		if err := s.RecordSubmission(pay, a.Receipt.Hash); err != nil {
			s.cfg.Log.Warn("recording the transaction found for a payment", append(log, zap.String("tx", a.Receipt.Hash), zap.Error(err))...)
		}
		if _, err := s.finish(ctx, pr.ID, pr.TxHash, a.Receipt.Ledger); err != nil {
			return false, true
		}
		s.cfg.Log.Info("credited a payment found on the ledger by its payer's nonce (used by a transaction of exactly this transfer, which no recorded submission named)",
			append(log, zap.String("tx", a.Receipt.Hash), zap.Uint32("ledger", a.Receipt.Ledger))...)
		return true, true
	case a.Void:
		s.release(ctx, pr.ID, pr.TxHash)
		s.cfg.Log.Warn("released a payment whose authorization can never land (its nonce was used by another transfer, or it expired unused)", log...)
		return true, true
	}
	return false, false
}

// lookup asks the backend for the transactions of a settlement (hash,
// and for a SAC payment those sent for its replay key): found and landed
// (one applied successfully) when known; known is false when the ledger
// could not be asked, or the backend cannot look transactions up.
func (s *Service) lookup(hash string) (found, landed, known bool) {
	f, ok := s.cfg.Backend.(stellarpay.Finder)
	if !ok {
		return false, false, false
	}
	lctx, cancel := s.withTimeout()
	defer cancel()
	hashes, err := s.ledgerHashes(lctx, hash)
	if err != nil {
		return false, false, false
	}
	known = true
	for _, h := range hashes {
		_, ok, err := f.Find(lctx, h)
		switch {
		case errors.Is(err, stellarpay.ErrUnavailable):
			known = false
		case ok && err == nil:
			return true, true, true
		case ok:
			found = true
		case err != nil:
			known = false
		}
	}
	return found && known, false, known
}
