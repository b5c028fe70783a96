package settlement

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// Refusals of the Service beside stellarpay's; each is answered as JSON
// {"error": Code, "message": …} with its Status.
var (
	// ErrUnknownRequest: the memo names no payment request of this zone.
	ErrUnknownRequest = &stellarpay.Kind{Code: "unknown_payment_request", Status: http.StatusNotFound}
	// ErrPaymentsOff: the zone has no settlement backend.
	ErrPaymentsOff = &stellarpay.Kind{Code: "payments_unavailable", Status: http.StatusServiceUnavailable}
	// ErrSACUnsupported: a token-contract payment to a zone whose backend
	// cannot settle one (offline, horizon).
	ErrSACUnsupported = &stellarpay.Kind{Code: "sac_unsupported", Status: http.StatusBadRequest}
)

// retryAfterUnknown is what a payer is told to wait while its payment's
// outcome is unknown; the worker keeps settling it meanwhile.
const retryAfterUnknown = 5 * time.Second

// Pay settles the envelope env from client (an identity, for the
// failure limits): a classic payment envelope, whose memo names the
// payment request, or a SAC transfer (an x402 or Payment credential's
// transaction, its payer's authorization signed), whose muxed destination
// names it. It verifies the envelope against that request and submits it.
// want, if set, is the id the client says it pays (an Authorization
// credential): it must agree with the memo or muxed id (a SAC transfer to
// the bare payee is found by want alone); such a credential repeated
// after its payment was credited gets its receipt again and buys nothing
// more. The Receipt is returned once the zone's session is credited.
func (s *Service) Pay(ctx context.Context, env string, want *payreq.ID, client string) (Receipt, error) {
	return s.pay(ctx, env, want, client, nil, false)
}

// PayVia is Pay with the payment submitted by via instead of the zone's
// backend (an x402 facilitator): everything else — the request, the
// failure limits, the verification at the backend's ledger, the store's
// pending → settling → paid, the credit — stays the zone's. An outcome
// via leaves unknown is the worker's: for a SAC payment it first asks
// the ledger whether the payer's nonce was used by exactly this transfer
// (and credits it if so), else it settles on through the zone's backend
// (the payer's nonce or sequence number lets at most one transaction
// land). via nil is the backend.
//
// It is how an x402 payment is paid, and x402 names no request: want is
// the session's outstanding one, which a credit replaces with the next.
// So a credential repeated after its payment was credited (its answer
// lost) gets its receipt again, buying nothing, when want is the request
// it paid or any later one of the same session (paidBefore).
func (s *Service) PayVia(ctx context.Context, env string, want *payreq.ID, client string, via stellarpay.Settler) (Receipt, error) {
	return s.pay(ctx, env, want, client, via, true)
}

// pay is Pay and PayVia; bySession enables PayVia's receipt for a
// credential the session paid an earlier request with.
func (s *Service) pay(ctx context.Context, env string, want *payreq.ID, client string, via stellarpay.Settler, bySession bool) (Receipt, error) {
	if s == nil || s.cfg.Backend == nil {
		return Receipt{}, &stellarpay.Error{Kind: ErrPaymentsOff, Message: "this site has no payment backend configured"}
	}
	t, isSAC, err := stellarpay.ReadSACTransfer(env)
	if err != nil {
		return Receipt{}, err
	}
	id, err := payTarget(env, t, isSAC, want)
	if err != nil {
		return Receipt{}, err
	}
	pr, err := s.request(ctx, id, isSAC && want == nil)
	if err != nil {
		return Receipt{}, err
	}
	now := s.cfg.Now()
	if wait, limited := s.limiter.limited(pr.ID, client, now); limited {
		return Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrTooManyFailures, RetryAfter: wait,
			Message: "too many payments for this request or from this client failed verification; try again later"}
	}
	pay, err := s.verify(ctx, env, isSAC, &pr.Request, now)
	if err != nil {
		s.limiter.failed(pr.ID, client, now)
		return Receipt{}, err
	}
	switch {
	case want != nil && pr.State == store.Paid && pr.TxHash == pay.HashHex():
		// A request retried with the credential whose answer was lost: the
		// same transaction, already credited, lets it go on (buying nothing).
		return s.paidReceipt(ctx, pr.ID, pr.TxHash, pr.Bytes), nil
	case want != nil && pr.State == store.Settling && pr.TxHash == pay.HashHex():
		// The same credential again while its outcome is open (it was
		// answered 503): still open, not a replay.
		s.wake()
		return Receipt{}, unknownOutcome("this payment is still being settled; it is credited once it has landed")
	case pr.State != store.Pending:
		return Receipt{}, refusal(store.ErrNotPending, pr.ID)
	}
	if via == nil {
		via = s.cfg.Backend
	}
	rc, err := s.submit(ctx, pay, now, via)
	if bySession && want != nil && errors.Is(err, stellarpay.ErrReplay) {
		if rc, ok := s.paidBefore(ctx, pr, pay.HashHex()); ok {
			return rc, nil
		}
	}
	return rc, err
}

// paidBefore finds, for a credential refused as a replay for pr, the
// credit it earned pr's session before: a credential whose answer was
// lost (a 503), retried once the worker credited it, when the session
// has moved on to its next request. It gets its receipt again and buys
// nothing; another session presenting it stays refused.
func (s *Service) paidBefore(ctx context.Context, pr store.PaymentRequest, hash string) (Receipt, bool) {
	credits, err := s.cfg.Store.Credits(ctx, pr.Zone, pr.Session)
	if err != nil {
		return Receipt{}, false
	}
	for _, c := range credits {
		if c.TxHash == hash {
			return s.paidReceipt(ctx, payreq.ID(c.PaymentRequest), hash, c.Bytes), true
		}
	}
	return Receipt{}, false
}

// paidReceipt is the receipt of request id, paid under hash: a
// transaction, or a SAC payment's replay key, in which case it names the
// transaction recorded for it when there is exactly one (the one that
// landed: every transaction sent or found for the payment is recorded).
func (s *Service) paidReceipt(ctx context.Context, id payreq.ID, hash string, bytes int64) Receipt {
	tx := hash
	if w, err := s.cfg.Store.Watch(ctx); err == nil {
		if sent, err := w.Submissions(ctx, hash); err == nil && len(sent) == 1 {
			tx = sent[0]
		}
	}
	return Receipt{Status: "paid", ID: id.String(), TxHash: tx, Bytes: bytes}
}

// verify checks the envelope against its request: a classic envelope
// with Verify, a SAC transfer with VerifySAC at the backend's latest
// ledger.
func (s *Service) verify(ctx context.Context, env string, isSAC bool, exp *payreq.Request, now time.Time) (*stellarpay.Payment, error) {
	if !isSAC {
		return stellarpay.Verify(env, exp, now)
	}
	lc, ok := s.cfg.Backend.(stellarpay.LedgerClock)
	if !ok {
		return nil, &stellarpay.Error{Kind: ErrSACUnsupported, Message: "this site's payment backend takes classic payments only (token-contract payments need backend rpc)"}
	}
	lctx, cancel := s.withTimeout()
	lt, err := lc.LedgerTime(lctx, now)
	cancel()
	if err != nil {
		return nil, err
	}
	return stellarpay.VerifySAC(env, exp, lt)
}

// submit is one settlement: BeginSettle, via (the backend or a
// facilitator), then FinishSettle,
// ReleaseSettle on a definite refusal, or — outcome unknown — the request
// stays settling and the worker takes the payment over.
func (s *Service) submit(ctx context.Context, pay *stellarpay.Payment, now time.Time, via stellarpay.Settler) (Receipt, error) {
	hash := pay.HashHex()
	if _, err := s.cfg.Store.BeginSettle(ctx, pay.ID, hash, now); err != nil {
		return Receipt{}, refusal(err, pay.ID)
	}
	sctx, cancel := s.withTimeout()
	rc, err := via.Settle(sctx, pay)
	cancel()
	switch {
	case err == nil:
		r, err := s.finish(ctx, pay.ID, hash, rc.Ledger)
		if err == nil && rc.Hash != "" {
			r.TxHash = rc.Hash // a SAC payment's own transaction, not its replay key
		}
		return r, err
	case errors.Is(err, stellarpay.ErrUnavailable):
		s.await(pay)
		return Receipt{}, unknownOutcome("the ledger did not answer in time; the payment is kept and credited once it has landed")
	}
	s.release(ctx, pay.ID, hash)
	return Receipt{}, err
}

// finish credits a request whose transaction landed. A request finished
// meanwhile (by the worker, or another replica) with this transaction
// counts as finished here.
func (s *Service) finish(ctx context.Context, id payreq.ID, hash string, ledger uint32) (Receipt, error) {
	ctx = context.WithoutCancel(ctx)
	credit, err := s.cfg.Store.FinishSettle(ctx, id, hash, s.cfg.Now())
	if errors.Is(err, store.ErrNotSettling) {
		if pr, rerr := s.cfg.Store.PaymentRequest(ctx, id); rerr == nil && pr.State == store.Paid && pr.TxHash == hash {
			credit, err = store.Credit{Zone: pr.Zone, Session: pr.Session, PaymentRequest: pr.ID, TxHash: hash, Bytes: pr.Bytes, At: pr.PaidAt}, nil
		}
	}
	if err != nil {
		s.cfg.Log.Error("crediting a settled payment", zap.Stringer("id", id), zap.String("tx", hash), zap.Error(err))
		s.wake() // the worker credits it as soon as the store takes the write
		return Receipt{}, unknownOutcome("the payment landed but could not be recorded yet")
	}
	s.cfg.Log.Info("payment credited", zap.String("zone", s.cfg.Zone), zap.Stringer("id", id), zap.String("tx", hash), zap.Int64("bytes", credit.Bytes))
	return Receipt{Status: "paid", ID: id.String(), TxHash: hash, Ledger: ledger, Bytes: credit.Bytes}, nil
}

// release frees a request whose transaction was refused or can no longer land.
func (s *Service) release(ctx context.Context, id payreq.ID, hash string) {
	if err := s.cfg.Store.ReleaseSettle(context.WithoutCancel(ctx), id, hash); err != nil && !errors.Is(err, store.ErrNotSettling) {
		s.cfg.Log.Error("releasing a payment request", zap.Stringer("id", id), zap.Error(err))
	}
}

// unknownOutcome is the 503 a payer gets while its payment's fate is open.
func unknownOutcome(msg string) error {
	return &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: msg, RetryAfter: retryAfterUnknown}
}

// refusal turns a store error into the refusal the payer gets.
func refusal(err error, id payreq.ID) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &stellarpay.Error{Kind: ErrUnknownRequest, Message: "no payment request " + id.String() + " here (the memo must be the request id)"}
	case errors.Is(err, store.ErrNotPending):
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "payment request " + id.String() + " is already paid or being paid"}
	case errors.Is(err, store.ErrTxSeen):
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "this transaction was already submitted"}
	case errors.Is(err, store.ErrExpired):
		return &stellarpay.Error{Kind: stellarpay.ErrExpired, Message: "payment request " + id.String() + " has expired"}
	}
	return &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: "the payment database is unavailable", RetryAfter: retryAfterUnknown}
}
