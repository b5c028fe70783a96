package attention

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/meter"
)

// client is the meter's identity of r's client and what the meter knows of
// it: ErrNotServed if it never served it (the attention handler runs after
// the meter, so a client refused there never gets here).
func (h *Handler) client(r *http.Request) (identity.Key, meter.Served, error) {
	key, err := clientKey(r, h.AllowClearnet)
	switch {
	case errors.Is(err, identity.ErrBadToken):
		return key, meter.Served{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	case err != nil:
		return key, meter.Served{}, fmt.Errorf("%w: %v", ErrNotServed, err)
	}
	served, err := h.zone.Lookup(r.Context(), key)
	switch {
	case errors.Is(err, meter.ErrNotServed):
		return key, served, ErrNotServed
	case errors.Is(err, meter.ErrNoZone):
		return key, served, fmt.Errorf("%w: %v (torplus_attention needs the torplus handler of its zone)", ErrUnavailable, err)
	case err != nil:
		return key, served, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return key, served, nil
}

// clientKey is the meter's key of r's client: the one place the attention
// handler learns who sent a request. The meter ran first and its Identify
// removed the TorPlus-Session header, so the key it recorded is read back;
// identifying afresh is the fallback where no meter ran before.
func clientKey(r *http.Request, allowClearnet bool) (identity.Key, error) {
	if k, ok := identity.Identified(r); ok {
		return k, nil
	}
	return identity.Identify(r, allowClearnet)
}
