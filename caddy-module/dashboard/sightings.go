package dashboard

import (
	"context"
	"errors"

	"github.com/torplus/torplus/caddy-module/store"
)

// MaxSightings is how many uncredited payments seen on the ledger the
// dashboard lists, newest first.
const MaxSightings = 50

// uncredited reads the payments wallets sent straight to the network
// that credited nothing — short, late, or naming no open request — from
// every zone of the store: money the owner received and must see. A
// store without a ledger watch has none.
func uncredited(ctx context.Context, st *store.Store) ([]store.Sighting, error) {
	w, err := st.Watch(ctx)
	if errors.Is(err, store.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	all, err := w.Sightings(ctx, "", "", 4*MaxSightings)
	if err != nil {
		return nil, err
	}
	out := []store.Sighting{}
	for _, g := range all {
		if g.Verdict != store.SightingCredited && len(out) < MaxSightings {
			out = append(out, g)
		}
	}
	return out, nil
}
