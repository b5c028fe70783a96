package meter

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// ErrPayMethod: the payment endpoint takes POST only.
var ErrPayMethod = &stellarpay.Kind{Code: "method_not_allowed", Status: http.StatusMethodNotAllowed}

// endpointPath is the path of the payment endpoint on this server.
func endpointPath(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" {
		return u.Path
	}
	return endpoint
}

// servePayment is the SEP-7 callback: it hands the envelope in the form
// field xdr to the zone's settlement and answers 200 with the receipt once
// the session is credited.
func (h *Handler) servePayment(w http.ResponseWriter, r *http.Request, key identity.Key) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return h.serveStatus(w, r)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, HEAD, POST")
		return writePayError(w, &stellarpay.Error{Kind: ErrPayMethod, Message: "send the signed envelope with POST, form field xdr"})
	}
	env, err := stellarpay.EnvelopeFromForm(w, r)
	if err != nil {
		return writePayError(w, err)
	}
	rc, err := h.payments.Pay(r.Context(), env, nil, key.String())
	if err != nil {
		return writePayError(w, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(rc)
}

// payByAuthorization settles TorPlus's earlier credential, `Authorization:
// Payment <base64url {id, xdr}>`, taken on private networks only (where
// the IETF scheme cannot name the network). It reports whether it
// answered the request (a refusal); otherwise the request goes on, its
// session credited.
func (h *Handler) payByAuthorization(w http.ResponseWriter, r *http.Request, key identity.Key, v string) (answered bool, err error) {
	c, id, err := stellarpay.ParseAuthorization(v)
	if err == nil {
		_, err = h.payments.Pay(r.Context(), c.XDR, &id, key.String())
	}
	if err != nil {
		return true, writePayError(w, err)
	}
	return false, nil
}

// Receipt is the payment endpoint's answer once a payment is credited.
type Receipt = settlement.Receipt

// writePayError answers a refusal as JSON {error, message[, result_codes]},
// with Retry-After where the refusal says when to come back.
func writePayError(w http.ResponseWriter, err error) error {
	e := stellarpay.AsError(err)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	wait := e.RetryAfter
	if wait <= 0 && e.Kind.Status == http.StatusServiceUnavailable {
		wait = 5 * time.Second // the outcome is open; the settlement carries on meanwhile
	}
	if wait > 0 {
		hdr.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.Kind.Status)
	return json.NewEncoder(w).Encode(e)
}
