package meter

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// Refusals of the payment endpoint beside stellarpay's; each is answered
// as JSON {"error": Code, "message": …} with its Status.
var (
	// ErrUnknownRequest: the memo names no payment request of this site.
	ErrUnknownRequest = &stellarpay.Kind{Code: "unknown_payment_request", Status: http.StatusNotFound}
	// ErrPaymentsOff: no settlement backend is configured.
	ErrPaymentsOff = &stellarpay.Kind{Code: "payments_unavailable", Status: http.StatusServiceUnavailable}
	// ErrPayMethod: the payment endpoint takes POST only.
	ErrPayMethod = &stellarpay.Kind{Code: "method_not_allowed", Status: http.StatusMethodNotAllowed}
)

// retryAfterUnavailable is what a client is told to wait when the backend
// is unreachable; the handler keeps retrying the payment meanwhile.
const retryAfterUnavailable = 5 * time.Second

// receipt is the callback's answer once a payment is credited.
type receipt struct {
	Status string `json:"status"` // "paid"
	ID     string `json:"id"`
	TxHash string `json:"tx_hash"`
	Ledger uint32 `json:"ledger,omitempty"`
	Bytes  int64  `json:"bytes"`
}

// endpointPath is the path of the payment endpoint on this server.
func endpointPath(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" {
		return u.Path
	}
	return endpoint
}

// servePayment is the SEP-7 callback: it settles the envelope in the form
// field xdr and answers 200 with a receipt once the session is credited.
func (h *Handler) servePayment(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writePayError(w, &stellarpay.Error{Kind: ErrPayMethod, Message: "send the signed envelope with POST, form field xdr"})
	}
	env, err := stellarpay.EnvelopeFromForm(w, r)
	if err != nil {
		return writePayError(w, err)
	}
	rc, err := h.settle(r.Context(), env, nil)
	if err != nil {
		return writePayError(w, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(rc)
}

// payByAuthorization settles the credential of a request retried with
// `Authorization: Payment …`. It reports whether it answered the request
// (a refusal); otherwise the request goes on, its session credited.
func (h *Handler) payByAuthorization(w http.ResponseWriter, r *http.Request) (answered bool, err error) {
	v := r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, stellarpay.AuthScheme) {
		return false, nil
	}
	r.Header.Del("Authorization") // the credential is ours, not the upstream's
	c, id, err := stellarpay.ParseAuthorization(v)
	if err == nil {
		_, err = h.settle(r.Context(), c.XDR, &id)
	}
	if err != nil {
		return true, writePayError(w, err)
	}
	return false, nil
}

// settle verifies the envelope against its outstanding payment request,
// moves the request to settling (refusing replays), submits it, and
// credits the request's session. want, if set, is the id the client says
// it pays.
func (h *Handler) settle(ctx context.Context, env string, want *[32]byte) (receipt, error) {
	if h.settler == nil {
		return receipt{}, &stellarpay.Error{Kind: ErrPaymentsOff, Message: "this site has no payment backend configured"}
	}
	id, err := stellarpay.RequestID(env)
	if err != nil {
		return receipt{}, err
	}
	idHex := hex.EncodeToString(id[:])
	if want != nil && *want != id {
		return receipt{}, &stellarpay.Error{Kind: stellarpay.ErrMemo, Message: "the credential's id is not the transaction's memo"}
	}
	pr, err := h.st.store.PaymentRequest(ctx, id)
	if err != nil {
		return receipt{}, settleRefusal(err, idHex)
	}
	exp, err := expected(pr)
	if err != nil {
		return receipt{}, err
	}
	now := h.st.now()
	if want != nil && pr.State == store.Paid {
		// A retry whose answer was lost: the same envelope, already
		// credited, lets the request go on (it buys nothing more).
		if pay, err := stellarpay.Verify(env, exp, now); err == nil && pay.HashHex() == pr.TxHash {
			return receipt{Status: "paid", ID: idHex, TxHash: pr.TxHash, Bytes: pr.Bytes}, nil
		}
	}
	if err := stateRefusal(pr, idHex); err != nil {
		return receipt{}, err
	}
	pay, err := stellarpay.Verify(env, exp, now)
	if err != nil {
		return receipt{}, err
	}
	r, err := h.submit(ctx, pay, now)
	if errors.Is(err, stellarpay.ErrUnavailable) {
		go h.retrySettle(pay)
	}
	return r, err
}

// submit runs one settlement: BeginSettle, the backend (bounded by
// settleTimeout, not by the client's connection), then FinishSettle or
// ReleaseSettle.
func (h *Handler) submit(ctx context.Context, pay *stellarpay.Payment, now time.Time) (receipt, error) {
	ctx = context.WithoutCancel(ctx)
	idHex, hash := hex.EncodeToString(pay.ID[:]), pay.HashHex()
	if _, err := h.st.store.BeginSettle(ctx, pay.ID, hash, now); err != nil {
		return receipt{}, settleRefusal(err, idHex)
	}
	sctx, cancel := context.WithTimeout(ctx, h.settleTimeout)
	rc, err := h.settler.Settle(sctx, pay)
	cancel()
	if err != nil {
		if rerr := h.st.store.ReleaseSettle(ctx, pay.ID, hash); rerr != nil {
			h.log.Error("releasing a payment request", zap.String("id", idHex), zap.Error(rerr))
		}
		return receipt{}, err
	}
	credit, err := h.st.store.FinishSettle(ctx, pay.ID, hash, h.st.now())
	if errors.Is(err, store.ErrNotSettling) {
		// Finished meanwhile by the recovery of interrupted settlements
		// (or another replica): paid with this transaction is paid.
		if pr, rerr := h.st.store.PaymentRequest(ctx, pay.ID); rerr == nil && pr.State == store.Paid && pr.TxHash == hash {
			credit, err = store.Credit{Session: pr.Session, PaymentRequest: pr.ID, TxHash: hash, Bytes: pr.Bytes, At: pr.PaidAt}, nil
		}
	}
	if err != nil {
		h.log.Error("crediting a settled payment", zap.String("id", idHex), zap.String("tx", hash), zap.Error(err))
		go h.recoverSettling() // credits it as soon as the database takes the write
		return receipt{}, &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: "the payment landed but could not be recorded yet"}
	}
	h.log.Info("payment credited", zap.String("id", idHex), zap.String("tx", hash), zap.Int64("bytes", credit.Bytes))
	return receipt{Status: "paid", ID: idHex, TxHash: hash, Ledger: rc.Ledger, Bytes: credit.Bytes}, nil
}

// retrySettle settles a payment whose backend was unreachable, with
// back-off, until it lands, is refused, is settled by another submission,
// can no longer be applied (its max_time passed), or the zone's state is
// torn down (the last handler of the zone went away).
func (h *Handler) retrySettle(pay *stellarpay.Payment) {
	wait := time.Second
	for time.Now().Before(pay.MaxTime) {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.st.stop:
			t.Stop()
			return
		}
		wait = min(2*wait, 30*time.Second)
		_, err := h.submit(context.Background(), pay, h.st.now())
		if !errors.Is(err, stellarpay.ErrUnavailable) {
			return
		}
	}
}

// expected is what a payment of pr must meet.
func expected(pr store.PaymentRequest) (*stellarpay.Expected, error) {
	stroops, err := stellarpay.ParseAmount(pr.Amount)
	if err != nil {
		return nil, &stellarpay.Error{Kind: stellarpay.ErrExpectation, Message: "stored amount is not a decimal"}
	}
	return &stellarpay.Expected{ID: pr.ID, Destination: pr.Destination, AssetCode: pr.AssetCode,
		AssetIssuer: pr.AssetIssuer, Amount: stroops, NetworkPassphrase: pr.Network, ExpiresAt: pr.ExpiresAt}, nil
}

// stateRefusal refuses a request that is not pending.
func stateRefusal(pr store.PaymentRequest, idHex string) error {
	switch pr.State {
	case store.Paid:
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "payment request " + idHex + " is already paid"}
	case store.Settling:
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "payment request " + idHex + " is being paid by another transaction"}
	case store.Expired:
		return &stellarpay.Error{Kind: stellarpay.ErrExpired, Message: "payment request " + idHex + " has expired"}
	}
	return nil
}

// settleRefusal turns a ledger error into the refusal the client gets.
func settleRefusal(err error, idHex string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &stellarpay.Error{Kind: ErrUnknownRequest, Message: "no payment request " + idHex + " here (the memo must be the request id)"}
	case errors.Is(err, store.ErrNotPending):
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "payment request " + idHex + " is already paid or being paid"}
	case errors.Is(err, store.ErrTxSeen):
		return &stellarpay.Error{Kind: stellarpay.ErrReplay, Message: "this transaction was already submitted"}
	case errors.Is(err, store.ErrExpired):
		return &stellarpay.Error{Kind: stellarpay.ErrExpired, Message: "payment request " + idHex + " has expired"}
	}
	return &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: "the ledger database is unavailable"}
}

// writePayError answers a refusal as JSON {error, message[, result_codes]}.
func writePayError(w http.ResponseWriter, err error) error {
	e := stellarpay.AsError(err)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	if e.Kind.Status == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", strconv.Itoa(int(retryAfterUnavailable/time.Second)))
	}
	w.WriteHeader(e.Kind.Status)
	return json.NewEncoder(w).Encode(e)
}
