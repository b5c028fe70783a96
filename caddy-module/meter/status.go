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
