package meter

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/x402"
)

// A payment request is offered in every standard format side by side, on
// a 402 and on the early notice of a response once a round is AskAt used:
//
//   - x402 v2: PAYMENT-REQUIRED (exact on stellar:testnet|pubnet, the
//     amount in stroops, asset = TPT's SAC, fees sponsored);
//   - the IETF Payment scheme: WWW-Authenticate: Payment challenges
//     (method stellar, intent charge), the id an HMAC under the zone's
//     secret; one fee-sponsored (pull: the client sends the transaction)
//     and one not (push: the client submits and sends the hash);
//   - for people and wallets: the 402's body, the request as JSON with
//     its SEP-7 URI, or an HTML page with the address, memo and a QR code.
//
// x402 and Payment name networks by CAIP-2 id, which exists for the
// public and test networks only. x402 clients know no other, so x402 is
// offered on those two alone; a private network (tests, demos) gets
// Payment challenges under the id paymentauth.NetworkID gives it.

// offers is what the zone's requests share in the standard formats.
type offers struct {
	network string // CAIP-2 id (paymentauth.NetworkID)
	x402    bool   // the network is one x402 clients know
	asset   string // TPT's SAC address (C…)
	secret  []byte // binds Payment challenge ids; never logged
	// facilitator settles x402 payments when the facilitator option
	// names one; nil: the hoster does (x402facilitator.go).
	facilitator x402.Facilitator
}

// provisionOffers derives the SAC address, loads the zone's secret and
// sets up the x402 facilitator, if any.
func (h *Handler) provisionOffers() error {
	contract, err := h.assetContract()
	if err != nil {
		return err
	}
	id := paymentauth.NetworkID(h.Network)
	h.offers = offers{network: id, x402: id == x402.NetworkTestnet || id == x402.NetworkPubnet, asset: contract.String()}
	if !h.offers.x402 {
		h.log.Info("torplus: a private Stellar network: x402 is not offered (its clients know testnet and pubnet only)", zap.String("network", id))
	}
	if h.offers.secret, err = loadSecret(h.secretPath()); err != nil {
		return err
	}
	return h.provisionFacilitator()
}

// offer sets the standard payment headers for pr on a response to r (a
// 402, or the notice on a served response): PAYMENT-REQUIRED and the
// Payment challenges. why, if set, says why a payment was refused (x402's
// error field).
func (h *Handler) offer(hdr http.Header, r *http.Request, pr payreq.Request, now time.Time, why string) {
	hdr.Set("Cache-Control", "no-store")
	if h.offers.x402 {
		if v, err := x402.EncodeRequired(h.required(r, pr, now, why)); err == nil {
			hdr.Set(x402.HeaderRequired, v)
		}
	}
	for _, c := range h.challenges(r, pr) {
		hdr.Add("WWW-Authenticate", c.String())
	}
}

// timeoutMargin is kept off maxTimeoutSeconds: a client turns the
// timeout into an expiration ledger in whole ledgers of an estimated 5 s
// (rounded up), and the verifier turns it back at its own latest ledger,
// which may not have moved since the client read it. Three ledgers keep
// an honest authorization within the request's expiry.
const timeoutMargin = 15 * time.Second

// required is pr as x402's PaymentRequired for the resource r asks for.
func (h *Handler) required(r *http.Request, pr payreq.Request, now time.Time, why string) x402.PaymentRequired {
	timeout := max(pr.ExpiresAt.Sub(now)-timeoutMargin, time.Second)
	return x402.PaymentRequired{
		X402Version: x402.Version,
		Error:       why,
		Resource:    x402.ResourceInfo{URL: resourceURL(r), Description: roundDescription(pr)},
		Accepts:     []x402.Requirements{h.requirements(pr, timeout)},
	}
}

// requirements is what an x402 payment of pr must answer. payTo is the
// payee's account: the payment is matched to the session's request.
func (h *Handler) requirements(pr payreq.Request, timeout time.Duration) x402.Requirements {
	return x402.Exact(h.offers.network, h.offers.asset, pr.Destination, int64(pr.Amount), timeout)
}

// issuer returns the zone's Payment challenge issuer for the host r
// names (the realm): a credential made for another host is refused.
func (h *Handler) issuer(r *http.Request) (*paymentauth.Issuer, error) {
	return paymentauth.NewIssuer(r.Host, h.offers.secret)
}

// challenges returns pr's Payment challenges: fee-sponsored (pull) first,
// then one the client pays its own fee for (push or pull).
func (h *Handler) challenges(r *http.Request, pr payreq.Request) []paymentauth.Challenge {
	is, err := h.issuer(r)
	if err != nil {
		return nil // a Host that cannot be a realm gets the body's formats only
	}
	var out []paymentauth.Challenge
	for _, sponsored := range []bool{true, false} {
		c, err := is.Challenge(h.charge(pr, sponsored), pr.ExpiresAt)
		if err == nil {
			out = append(out, c)
		}
	}
	return out
}

// charge is pr as a stellar charge request. The recipient is the
// request's muxed address: a transfer the client submits itself (push) is
// matched to the request on the ledger by it.
func (h *Handler) charge(pr payreq.Request, feePayer bool) paymentauth.Request {
	to := pr.Muxed
	if to == "" {
		to = pr.Destination
	}
	return paymentauth.Request{
		Amount: int64(pr.Amount), Currency: h.offers.asset, Recipient: to,
		Description: roundDescription(pr), ExternalID: pr.ID.String(),
		MethodDetails: paymentauth.MethodDetails{Network: h.offers.network, FeePayer: feePayer},
	}
}

// roundDescription says what a payment buys, for people.
func roundDescription(pr payreq.Request) string {
	return "TorPlus: " + strconv.FormatInt(pr.Bytes, 10) + " bytes"
}

// resourceURL is the absolute URL r asks for.
func resourceURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
