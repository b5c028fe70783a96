package meter

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// RequestStatus is the payment endpoint's answer to GET ?id=<request id>:
// what the payment page polls while a wallet pays.
type RequestStatus struct {
	// State is "pending" (not paid yet, or being settled), "paid" or
	// "expired".
	State string `json:"state"`
}

// Status polls read the store, and any id that parses costs a read, so a
// zone answers at most statusPollsPerSecond of them a second (bursts of
// statusPollsBurst): a flood of polls from fresh circuits cannot load the
// database, which every replica shares. The payment page polls every 3 s,
// so this is room for about 150 visitors waiting on a wallet at once; one
// turned away gets 429 with Retry-After and polls again (or its page's
// meta refresh reloads it). A payment is credited whether or not anyone
// polls.
const (
	statusPollsPerSecond = 50
	statusPollsBurst     = 100
)

// serveStatus answers the state of the payment request named by the id
// parameter. The id is 32 random bytes: whoever holds it was sent the
// request, and learns only whether it is paid. Another zone's request is
// unknown here.
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	id, err := payreq.ParseID(r.URL.Query().Get("id"))
	if err != nil {
		return h.deny(w, http.StatusBadRequest, "Give the payment request's id: ?id=<64 hex digits>.")
	}
	if !h.st.statusPolls.Allow() {
		w.Header().Set("Retry-After", "3")
		return h.deny(w, http.StatusTooManyRequests, "Too many payment-status polls right now; try again in a few seconds.")
	}
	pr, err := h.st.store.PaymentRequest(r.Context(), id)
	if err == nil && pr.Zone != h.Zone {
		err = store.ErrNotFound
	}
	var st RequestStatus
	switch {
	case errors.Is(err, store.ErrNotFound):
		st.State = "pending" // issued, perhaps not flushed to the store yet
	case err != nil:
		return h.deny(w, http.StatusServiceUnavailable, "The payment database is unavailable; try again.")
	case pr.State == store.Paid:
		st.State = "paid"
	case pr.State == store.Expired || h.st.now().After(pr.ExpiresAt):
		st.State = "expired"
	default:
		st.State = "pending"
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(st)
}
