package meter

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/x402"
)

// payX402 settles an x402 PAYMENT-SIGNATURE for the session's outstanding
// request: the payload must answer what the site offers (scheme, network,
// asset, payTo, amount; x402.Check, before any signature work), and its
// transaction is then verified and settled as any payment of the request.
// The hoster is its own facilitator (its fee account sponsors the
// transaction), unless the facilitator option names one
// (x402facilitator.go). Success sets PAYMENT-RESPONSE on the served
// response.
func (h *Handler) payX402(w http.ResponseWriter, r *http.Request, key identity.Key, s *session, now time.Time, v string) (bool, error) {
	pr := h.request(r, key, s, now)
	if !h.offers.x402 {
		return h.refuseX402(w, r, s, pr, now, http.StatusPaymentRequired, x402Reason(x402.ErrNetwork))
	}
	p, err := x402.DecodeSignature(v)
	offered := h.requirements(pr, time.Second)
	if err == nil {
		err = x402.Check(offered, p)
	}
	if err != nil {
		return h.refuseX402(w, r, s, pr, now, x402.Status(err), x402.Reason(err))
	}
	// The facilitator bounds the authorization by maxTimeoutSeconds: what
	// the client was offered, never more than the request has left.
	offered.MaxTimeoutSeconds = min(p.Accepted.MaxTimeoutSeconds, h.required(r, pr, now, "").Accepts[0].MaxTimeoutSeconds)
	rc, err := h.payments.PayVia(r.Context(), p.Payload.Transaction, &pr.ID, key.String(), h.x402Settler(p, offered))
	if err != nil {
		setRetryAfter(w.Header(), err)
		return h.refuseX402(w, r, s, pr, now, refusalStatus(err), x402Reason(err))
	}
	if v, err := x402.EncodeResponse(x402.SettlementResponse{Success: true, Transaction: rc.TxHash,
		Network: h.offers.network, Amount: x402.FormatAmount(int64(pr.Amount))}); err == nil {
		w.Header().Set(x402.HeaderResponse, v)
	}
	return false, nil
}

// refuseX402 answers a refused x402 payment as the transport says: the
// status, PAYMENT-REQUIRED with the reason in its error field (and every
// other offer beside it), PAYMENT-RESPONSE with success false, and the
// reason as JSON. A session that can be served meanwhile is, with the
// PAYMENT-RESPONSE alone.
func (h *Handler) refuseX402(w http.ResponseWriter, r *http.Request, s *session, pr payreq.Request, now time.Time, status int, reason string) (bool, error) {
	hdr := w.Header()
	if v, err := x402.EncodeResponse(x402.SettlementResponse{ErrorReason: reason, Network: h.offers.network}); err == nil {
		hdr.Set(x402.HeaderResponse, v)
	}
	if h.servedMeanwhile(s, now) {
		return false, nil
	}
	h.offer(hdr, r, pr, now, reason)
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return true, json.NewEncoder(w).Encode(map[string]string{"error": reason})
}

// x402Reasons maps the settlement's refusals to the codes the reference
// Stellar facilitator (@x402/stellar 2.9.0) gives the same refusal.
var x402Reasons = []struct {
	err  error
	code string
}{
	{stellarpay.ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
	{stellarpay.ErrDestination, "invalid_exact_stellar_payload_wrong_recipient"},
	{stellarpay.ErrContract, "invalid_exact_stellar_payload_wrong_asset"},
	{stellarpay.ErrAssetCode, "invalid_exact_stellar_payload_wrong_asset"},
	{stellarpay.ErrAssetIssuer, "invalid_exact_stellar_payload_wrong_asset"},
	{stellarpay.ErrNotPayment, "invalid_exact_stellar_payload_wrong_function_name"},
	{stellarpay.ErrOperationCount, "invalid_exact_stellar_payload_wrong_operation"},
	{stellarpay.ErrAuthorization, "invalid_exact_stellar_payload_missing_payer_signature"},
	{stellarpay.ErrBadSignature, "invalid_exact_stellar_payload_missing_payer_signature"},
	{stellarpay.ErrTimeBounds, "invalid_exact_stellar_signature_expiration_too_far"},
	{stellarpay.ErrResourceFee, "invalid_exact_stellar_payload_fee_exceeds_maximum"},
	{stellarpay.ErrMalformed, "invalid_exact_stellar_payload_malformed"},
	{stellarpay.ErrTooLarge, "invalid_exact_stellar_payload_malformed"},
	{stellarpay.ErrNotV1, "invalid_exact_stellar_payload_malformed"},
	{stellarpay.ErrReplay, "invalid_transaction_state"},
	{stellarpay.ErrExpired, "invalid_transaction_state"},
	{settlement.ErrUnknownRequest, "invalid_transaction_state"},
	{stellarpay.ErrRejected, "settle_exact_stellar_transaction_failed"},
	{stellarpay.ErrUnavailable, "settle_exact_stellar_transaction_submission_failed"},
}

// x402Reason returns the x402 code for a refusal of the settlement or of
// the x402 checks.
func x402Reason(err error) string {
	for _, r := range x402Reasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	if c := x402.Reason(err); c != "unexpected_verify_error" {
		return c
	}
	return "unexpected_settle_error"
}
