package meter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/x402"
)

// offered is what a response offers in the standard formats.
type offered struct {
	required   x402.PaymentRequired
	challenges []paymentauth.Challenge
	charges    []paymentauth.Request
	id         payreq.ID // the request the challenges name (externalId)
}

// offersOf decodes a response's PAYMENT-REQUIRED and Payment challenges,
// failing the test unless both are there and name one request.
func offersOf(t testing.TB, h http.Header) offered {
	t.Helper()
	var o offered
	var err error
	if o.required, err = x402.DecodeRequired(h.Get(x402.HeaderRequired)); err != nil {
		t.Fatalf("PAYMENT-REQUIRED %q: %v", h.Get(x402.HeaderRequired), err)
	}
	if o.challenges, err = paymentauth.ParseChallenges(strings.Join(h.Values("WWW-Authenticate"), ", ")); err != nil || len(o.challenges) != 2 {
		t.Fatalf("WWW-Authenticate %q: %d challenges, %v", h.Values("WWW-Authenticate"), len(o.challenges), err)
	}
	for _, c := range o.challenges {
		cr, err := c.ChargeRequest()
		if err != nil {
			t.Fatalf("challenge %s: %v", c, err)
		}
		o.charges = append(o.charges, cr)
	}
	if o.id, err = payreq.ParseID(o.charges[0].ExternalID); err != nil || o.charges[1].ExternalID != o.charges[0].ExternalID {
		t.Fatalf("challenges name requests %q and %q: %v", o.charges[0].ExternalID, o.charges[1].ExternalID, err)
	}
	return o
}

// offersSome reports whether a response offers a payment at all.
func offersSome(h http.Header) bool {
	return h.Get(x402.HeaderRequired) != "" || h.Get("WWW-Authenticate") != "" || h.Get(PaymentRequestHeader) != ""
}
