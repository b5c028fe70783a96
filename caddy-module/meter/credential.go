package meter

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/x402"
)

// Credentials ride on any metered request: x402's PAYMENT-SIGNATURE or
// `Authorization: Payment`. Each is settled through the zone's settlement
// (one owner of settlement, whatever the format) before the request is
// decided, so the request that pays is served by the payment; the paid
// response carries PAYMENT-RESPONSE or Payment-Receipt. A refusal is
// answered in the format of the credential, with a fresh offer. A
// payment buys one round, whichever format carried it.

// headerSignature is x402's PAYMENT-SIGNATURE in canonical form.
var headerSignature = http.CanonicalHeaderKey(x402.HeaderSignature)

// takeCredential settles the credential r carries, if any, for the
// session s of key. It reports whether it answered the request (a
// refusal); otherwise the request goes on, its session credited.
func (h *Handler) takeCredential(w http.ResponseWriter, r *http.Request, key identity.Key, s *session, now time.Time) (answered bool, err error) {
	if v := r.Header.Get(headerSignature); v != "" {
		r.Header.Del(headerSignature) // the credential is ours, not the upstream's
		return h.payX402(w, r, key, s, now, v)
	}
	v := r.Header.Get("Authorization")
	if scheme, _, _ := strings.Cut(strings.TrimSpace(v), " "); !strings.EqualFold(scheme, stellarpay.AuthScheme) {
		return false, nil
	}
	r.Header.Del("Authorization")
	if h.offers.network == "" {
		return h.payByAuthorization(w, r, key, v)
	}
	return h.payByPayment(w, r, key, s, now, v)
}

// refusalStatus is the status of a settlement's refusal in a payment
// scheme's answer: 503 and 429 say "the same payment, later"; anything
// else is a 402 with a fresh offer (or 400 for what cannot be read).
func refusalStatus(err error) int {
	switch {
	case errors.Is(err, stellarpay.ErrUnavailable), errors.Is(err, settlement.ErrPaymentsOff):
		return http.StatusServiceUnavailable
	case errors.Is(err, stellarpay.ErrTooManyFailures):
		return http.StatusTooManyRequests
	}
	return http.StatusPaymentRequired
}

// setRetryAfter tells a payer refused 503 or 429 when to come back.
func setRetryAfter(hdr http.Header, err error) {
	e := stellarpay.AsError(err)
	wait := e.RetryAfter
	if wait <= 0 && refusalStatus(err) == http.StatusServiceUnavailable {
		wait = 5 * time.Second // the outcome is open; the settlement carries on meanwhile
	}
	if wait > 0 {
		hdr.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
}
