// Package client is the paying side of TorPlus: it fetches pages through a
// SOCKS5 proxy (Tor), reads the payment requests the site sends (a 402
// challenge, or an early notice on a normal response), checks that they are
// sane and within the user's budget, signs the Stellar payment with the
// user's own key, pays, and carries on, so that the whole loop runs without
// a browser.
//
// Wire format (what the site must send and accept):
//
//	402 response:   WWW-Authenticate: Payment id="<64 hex>", method="stellar", request="<base64url JSON>"
//	early notice:   TorPlus-Payment-Request: <the same challenge>   (on any 2xx response)
//	request JSON:   {"id", "destination", "asset_code", "asset_issuer", "amount",
//	                 "network_passphrase", "bytes", "expires_at", "uri"}
//	paying, retry:  Authorization: Payment <base64url JSON {"id": "<64 hex>", "xdr": "<base64 envelope>"}>
//	paying, SEP-7:  POST <callback> with form field xdr=<base64 envelope>
//	session:        TorPlus-Session: <base64url of 32 random bytes> on every request
package client

import "github.com/torplus/torplus/caddy-module/payreq"

// Header names of the protocol.
const (
	// ChallengeHeader carries the payment request on a 402.
	ChallengeHeader = "WWW-Authenticate"
	// NoticeHeader carries the next payment request on a 2xx response,
	// before the client runs out of paid bytes.
	NoticeHeader = "TorPlus-Payment-Request"
	// SessionHeader carries the client's session token.
	SessionHeader = "TorPlus-Session"
)

// ErrChallenge means a payment challenge or request is malformed.
var ErrChallenge = payreq.ErrBadChallenge

// PaymentRequest is what a site asks to be paid for the next round of
// bytes: the request the hoster's metering handler sends (payreq.Request).
type PaymentRequest = payreq.Request

// ParseChallenge finds the Payment challenge in a header value (which may
// hold several challenges) and decodes its request; see payreq.ParseChallenge.
func ParseChallenge(header string) (PaymentRequest, error) { return payreq.ParseChallenge(header) }
