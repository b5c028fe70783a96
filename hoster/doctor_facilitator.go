package main

import (
	"context"
	"net/http"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/x402"
)

// facilitatorFinding asks the running handler's x402 facilitator, if it
// has one, which payments it settles (GET /supported, through hc: the
// hoster's tor when the handler goes that way): it must take x402's exact
// scheme on the handler's network, or every x402 payment it is handed
// fails. Nothing is found to check without a facilitator.
func facilitatorFinding(ctx context.Context, hc *http.Client, h *meter.Handler) (finding, bool) {
	if h.Facilitator == "" {
		return finding{}, false
	}
	network := paymentauth.NetworkID(h.Network)
	s, err := (&x402.Client{URL: h.Facilitator, HTTP: hc}).Supported(ctx)
	switch {
	case err != nil:
		return finding{what: "the x402 facilitator " + h.Facilitator + " does not answer GET /supported: " + err.Error(),
			fix: "check the torplus handler's facilitator URL, or remove it (the hoster then settles x402 payments itself)"}, true
	case !s.Takes(x402.SchemeExact, network):
		return finding{what: "the x402 facilitator " + h.Facilitator + " does not settle x402 exact payments on " + network,
			fix: "use a facilitator for this network, or remove the facilitator option"}, true
	}
	return finding{ok: true, what: "the x402 facilitator " + h.Facilitator + " settles x402 exact payments on " + network}, true
}
