package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/x402"
)

// Format is a way to pay what a site offers.
type Format int

// The formats, standard ones first. The SAC formats need Config.RPC; the
// classic ones Config.Horizon.
const (
	// FormatPayment is the Payment scheme's pull mode: Authorization:
	// Payment answering the fee-sponsored challenge with a SAC transfer
	// the site's fee account submits.
	FormatPayment Format = iota + 1
	// FormatX402 is x402's exact scheme: PAYMENT-SIGNATURE with the same
	// sponsored SAC transfer.
	FormatX402
	// FormatPush is the Payment scheme's push mode: the client submits
	// its own SAC transfer through its RPC and answers the unsponsored
	// challenge with the transaction's hash.
	FormatPush
	// FormatClassic is TorPlus's own: a classic payment with the request
	// id as memo, in an Authorization: Payment credential.
	FormatClassic
	// FormatCallback is TorPlus's own too: the same classic payment POSTed
	// to the SEP-7 callback of the 402's JSON body, the request then
	// retried plainly. Early notices are paid with FormatClassic.
	FormatCallback
)

// DefaultFormats is the order a client prefers when Config.Formats is
// empty: the standards, then TorPlus's own classic payment. A format the
// client cannot pay (no RPC, no Horizon) is skipped.
var DefaultFormats = []Format{FormatPayment, FormatX402, FormatPush, FormatClassic}

var formatNames = map[Format]string{FormatPayment: "payment", FormatX402: "x402", FormatPush: "push",
	FormatClassic: "classic", FormatCallback: "callback"}

// String is the format's name, as torplus-pay's -pay-via takes it.
func (f Format) String() string {
	if n, ok := formatNames[f]; ok {
		return n
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrFormat means a format name is not one of the formats.
var ErrFormat = errors.New("client: unknown payment format")

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	for f, n := range formatNames {
		if n == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrFormat, s)
}

// sac reports whether f pays with a SAC transfer (through the RPC).
func (f Format) sac() bool { return f == FormatPayment || f == FormatX402 || f == FormatPush }

// offer is one way a response asks to be paid, in one format.
type offer struct {
	format Format
	pr     PaymentRequest
	ch     *paymentauth.Challenge // the Payment formats
	req    *x402.Requirements     // FormatX402
	res    *x402.ResourceInfo     // FormatX402: the resource, echoed
}

// offers reads what a response to page asks, in the given formats: the
// Payment challenges (each fits the formats its feePayer allows) and
// x402's PAYMENT-REQUIRED. An offer for another site (realm, resource) or
// outside the policy is left out; the first reason is returned when none
// is left. body is a 402's JSON body, whose SEP-7 URI and callback join
// the request they name.
func (c *Client) offers(h http.Header, body []byte, page *url.URL, formats []Format) ([]offer, error) {
	var out []offer
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	want := map[Format]bool{}
	for _, f := range formats {
		want[f] = true
	}
	cs, err := Challenges(h)
	if err != nil && h.Get(x402.HeaderRequired) == "" {
		return nil, err
	}
	var js PaymentRequest
	_ = json.Unmarshal(body, &js)
	var named payreq.ID // the request the challenges name, for x402's offer
	for i := range cs {
		ch := &cs[i]
		pr, err := c.policy.Request(*ch)
		if err == nil && !strings.EqualFold(ch.Realm, page.Host) {
			err = fmt.Errorf("%w: realm %q, the page is on %q", ErrOtherSite, ch.Realm, page.Host)
		}
		if err != nil {
			keep(err)
			continue
		}
		named = pr.ID
		if js.ID == pr.ID {
			pr.URI, pr.Callback, pr.Bytes = js.URI, js.Callback, js.Bytes
		}
		cr, _ := ch.ChargeRequest() // Request read it
		for _, f := range []Format{FormatPayment, FormatPush, FormatClassic, FormatCallback} {
			if want[f] && (f != FormatPayment || cr.MethodDetails.FeePayer) && (f != FormatPush || !cr.MethodDetails.FeePayer) {
				out = append(out, offer{format: f, pr: pr, ch: ch})
			}
		}
	}
	if v := h.Get(x402.HeaderRequired); v != "" && want[FormatX402] {
		o, err := c.x402Offer(v, page, named)
		if err != nil {
			keep(err)
		} else {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		if first == nil {
			first = fmt.Errorf("%w: nothing offered in %v", ErrChallenge, formats)
		}
		return nil, first
	}
	return out, nil
}

// x402Offer reads PAYMENT-REQUIRED: the first exact offer on the policy's
// network, for a resource on the page's host.
func (c *Client) x402Offer(v string, page *url.URL, id payreq.ID) (offer, error) {
	required, err := x402.DecodeRequired(v)
	if err != nil {
		return offer{}, fmt.Errorf("%w: %v", ErrChallenge, err)
	}
	if u, err := url.Parse(required.Resource.URL); err != nil || !strings.EqualFold(u.Host, page.Host) {
		return offer{}, fmt.Errorf("%w: x402 resource %q, the page is on %q", ErrOtherSite, required.Resource.URL, page.Host)
	}
	req, err := required.Choose(paymentauth.NetworkID(c.policy.NetworkPassphrase))
	if err != nil {
		return offer{}, fmt.Errorf("%w: %v", ErrWrongNetwork, err)
	}
	pr, err := c.policy.x402Request(req, id, c.now())
	if err != nil {
		return offer{}, err
	}
	return offer{format: FormatX402, pr: pr, req: &req, res: &required.Resource}, nil
}

// choose returns the offer to pay: the first, in the client's order of
// formats, of those the response makes.
func (c *Client) choose(h http.Header, body []byte, page *url.URL, formats []Format) (offer, error) {
	all, err := c.offers(h, body, page, formats)
	if err != nil {
		return offer{}, err
	}
	for _, f := range formats {
		for _, o := range all {
			if o.format == f {
				return o, nil
			}
		}
	}
	return all[0], nil
}

// expiresIn is how long the offer leaves to pay it.
func (o offer) expiresIn(now time.Time) time.Duration { return o.pr.ExpiresAt.Sub(now) }
