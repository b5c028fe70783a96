package meter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// payByPayment settles an `Authorization: Payment` credential (the IETF
// scheme, stellar charge): the challenge must be this site's (realm, the
// HMAC under the zone's secret), unaltered and unexpired; its externalId
// names the payment request it pays, which must still be pending (single
// use: a challenge pays once). Pull mode hands the transaction to the
// settlement; push mode waits for the transaction, sent by the client, to
// be seen on the ledger. Success sets Payment-Receipt on the served
// response.
func (h *Handler) payByPayment(w http.ResponseWriter, r *http.Request, key identity.Key, s *session, now time.Time, v string) (bool, error) {
	is, err := h.issuer(r)
	if err != nil {
		return true, h.refusePayment(w, r, key, s, now, paymentauth.ErrBinding, "")
	}
	cred, err := paymentauth.ParseCredential(v)
	if err != nil {
		return true, h.refusePayment(w, r, key, s, now, err, "")
	}
	req, err := is.Verify(cred, now)
	if err != nil {
		return true, h.refusePayment(w, r, key, s, now, err, "")
	}
	id, err := payreq.ParseID(req.ExternalID) // bound by our HMAC: ours
	if err != nil {
		return true, h.refusePayment(w, r, key, s, now, paymentauth.ErrUsed, "")
	}
	if pr, err := h.st.store.PaymentRequest(r.Context(), id); err == nil && pr.State != store.Pending && pr.State != store.Settling {
		if cred.Payload.Type != paymentauth.PayloadHash || !paidBy(pr, cred.Payload.Hash) {
			return true, h.refusePayment(w, r, key, s, now, paymentauth.ErrUsed, "this challenge was paid already; answer the fresh one")
		}
	}
	var hash string
	switch cred.Payload.Type {
	case paymentauth.PayloadTransaction:
		rc, err := h.payments.Pay(r.Context(), cred.Payload.Transaction, &id, key.String())
		if err != nil {
			return true, h.refusePayment(w, r, key, s, now, err, stellarpay.AsError(err).Message)
		}
		hash = rc.TxHash
	case paymentauth.PayloadHash:
		if err := h.awaitPush(r.Context(), id, cred.Payload.Hash); err != nil {
			return true, h.refusePayment(w, r, key, s, now, err, "")
		}
		hash = cred.Payload.Hash
	}
	w.Header().Set(paymentauth.HeaderReceipt, paymentauth.NewReceipt(req, hash, h.st.now()).String())
	w.Header().Set("Cache-Control", "private")
	return false, nil
}

// pushPoll is how often a push credential's request is looked up while
// its transaction is awaited on the ledger.
const pushPoll = 250 * time.Millisecond

// errNotSeen: a push credential's transaction did not credit its request
// within the settlement timeout (not on the ledger yet, or it paid
// something else).
var errNotSeen = errors.New("the transaction has not paid this request on the ledger (yet)")

// awaitPush waits, at most the settlement timeout, for the ledger watcher
// to credit request id with the transaction hash the client sent.
func (h *Handler) awaitPush(ctx context.Context, id payreq.ID, hash string) error {
	ctx, cancel := context.WithTimeout(ctx, h.settleTimeout)
	defer cancel()
	t := time.NewTicker(pushPoll)
	defer t.Stop()
	for {
		pr, err := h.st.store.PaymentRequest(ctx, id)
		switch {
		case err == nil && pr.State == store.Paid && paidBy(pr, hash):
			return nil
		case err == nil && pr.State == store.Paid:
			return paymentauth.ErrUsed
		}
		select {
		case <-ctx.Done():
			return errNotSeen
		case <-t.C:
		}
	}
}

// paidBy reports whether pr was paid by the transaction hash: settled
// with it, or credited by the ledger watcher for an event of it (its
// tx_hash is then "<hash>:<operation>:<event>").
func paidBy(pr store.PaymentRequest, hash string) bool {
	return pr.TxHash == hash || strings.HasPrefix(pr.TxHash, hash+":")
}

// refusePayment answers a refused Payment credential as the draft says:
// an RFC 9457 problem of the draft's type, with a fresh challenge (and
// the other offers beside it).
func (h *Handler) refusePayment(w http.ResponseWriter, r *http.Request, key identity.Key, s *session, now time.Time, err error, detail string) error {
	perr := problemOf(err)
	p := paymentauth.NewProblem(perr, detail)
	pr := h.request(r, key, s, now)
	hdr := w.Header()
	setRetryAfter(hdr, err)
	h.offer(hdr, r, pr, now, false, "")
	hdr.Del("WWW-Authenticate") // Write adds the fresh challenges
	p.Write(w, h.challenges(r, pr)...)
	return nil
}

// problemOf maps a refusal of the settlement (or of the protocol checks)
// to the draft's problem.
func problemOf(err error) error {
	var pe *paymentauth.Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, errNotSeen):
		return paymentauth.ErrVerification
	case errors.Is(err, stellarpay.ErrExpired):
		return paymentauth.ErrExpired
	case errors.Is(err, stellarpay.ErrReplay), errors.Is(err, settlement.ErrUnknownRequest):
		return paymentauth.ErrUsed
	case errors.Is(err, stellarpay.ErrRejected):
		return paymentauth.ErrSettlement
	case errors.Is(err, stellarpay.ErrUnavailable), errors.Is(err, settlement.ErrPaymentsOff):
		return paymentauth.ErrUnavailable
	case errors.Is(err, stellarpay.ErrTooManyFailures):
		return paymentauth.ErrTooManyFailures
	}
	return paymentauth.ErrVerification
}
