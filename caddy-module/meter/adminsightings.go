package meter

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/store"
)

// SightingInfo is one payment seen on the ledger as the admin API lists
// it: credited, short, late or unmatched (verdict).
type SightingInfo = store.Sighting

// listSightings answers GET /torplus/sightings: the payments wallets made
// straight to the network that the zones' ledger watchers saw, newest
// first; ?verdict=short|late|unmatched|credited narrows them.
func listSightings(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed}
	}
	list := []SightingInfo{}
	for _, st := range zones(r) {
		lw, err := st.store.Watch(r.Context())
		if errors.Is(err, store.ErrUnsupported) {
			continue
		}
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		gs, err := lw.Sightings(r.Context(), st.name, r.URL.Query().Get("verdict"), limitParam(r))
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
		}
		list = append(list, gs...)
	}
	return writeJSON(w, list)
}
