// Package payreq builds and reads TorPlus payment requests: what a client
// must pay, in the Stellar TPT asset, for its next round of bytes.
//
// A Request travels three ways: as JSON (the body of a 402 response), as a
// challenge in `WWW-Authenticate: Payment id="…", method="stellar",
// request="<base64url JSON>"` (the IETF HTTP Payment authentication draft;
// the same value rides early in the TorPlus-Payment-Request response header),
// and as a SEP-7 `web+stellar:pay?…` URI a wallet can open, whose callback is
// the site's payment endpoint. Browsers get an HTML page with the link and a
// QR code of it.
package payreq

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"
)

// Method is the payment method named in challenges.
const Method = "stellar"

// PubnetPassphrase is the Stellar public network's passphrase, which SEP-7
// URIs leave out.
const PubnetPassphrase = "Public Global Stellar Network ; September 2015"

// Errors returned by this package; test them with errors.Is.
var (
	ErrBadTerms     = errors.New("payreq: invalid payment terms")
	ErrBadChallenge = errors.New("payreq: malformed Payment challenge")
)

// Request is one payment request: what a client is sent, what the store
// keeps (store.PaymentRequest adds its life cycle) and what a payment is
// verified against (stellarpay.Verify). There is no other copy of it.
type Request struct {
	// ID is 32 random bytes (64 hex digits in JSON); the payment's
	// MEMO_HASH must equal it.
	ID ID `json:"id"`
	// Method is always "stellar".
	Method string `json:"method"`
	// Destination is the Stellar account (G…) to pay.
	Destination string `json:"destination"`
	// Muxed is Destination with the request's Number as muxed id (M…):
	// a wallet that pays it straight to the network pays this request.
	Muxed string `json:"muxed_destination,omitempty"`
	// Memo is the text memo naming this request, for a wallet paying
	// Destination with a memo (MEMO_TEXT) instead.
	Memo string `json:"memo,omitempty"`
	// AssetCode and AssetIssuer name the asset to pay in (TPT and its issuer).
	AssetCode   string `json:"asset_code"`
	AssetIssuer string `json:"asset_issuer"`
	// Amount is what to pay, in stroops (a decimal string in JSON).
	Amount Amount `json:"amount"`
	// NetworkPassphrase names the Stellar network: the only network the
	// payment is verified for.
	NetworkPassphrase string `json:"network_passphrase"`
	// Bytes is how many bytes the payment buys.
	Bytes int64 `json:"bytes"`
	// ExpiresAt is when the request stops being accepted.
	ExpiresAt time.Time `json:"expires_at"`
	// Callback is the payment endpoint that takes the signed envelope.
	Callback string `json:"callback"`
	// URI is the SEP-7 pay URI for wallets.
	URI string `json:"uri"`
}

// Terms are the operator's prices: what every request of a site asks for.
type Terms struct {
	Destination       string
	AssetCode         string
	AssetIssuer       string
	Amount            Amount
	NetworkPassphrase string
	Bytes             int64
	TTL               time.Duration
}

var assetCodeRE = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)

// Validate checks the terms: real Stellar account ids, an asset code of 1–12
// letters and digits, a positive amount, a network,
// a positive round size and lifetime.
func (t Terms) Validate() error {
	switch {
	case !strkey.IsValidEd25519PublicKey(t.Destination):
		return fmt.Errorf("%w: destination %q is not a Stellar account id (G…)", ErrBadTerms, t.Destination)
	case !strkey.IsValidEd25519PublicKey(t.AssetIssuer):
		return fmt.Errorf("%w: asset issuer %q is not a Stellar account id (G…)", ErrBadTerms, t.AssetIssuer)
	case !assetCodeRE.MatchString(t.AssetCode):
		return fmt.Errorf("%w: asset code %q must be 1-12 letters or digits", ErrBadTerms, t.AssetCode)
	case t.Amount <= 0:
		return fmt.Errorf("%w: amount %s must be positive", ErrBadTerms, t.Amount)
	case t.NetworkPassphrase == "":
		return fmt.Errorf("%w: network passphrase is empty", ErrBadTerms)
	case t.Bytes <= 0:
		return fmt.Errorf("%w: a round must cover a positive number of bytes", ErrBadTerms)
	case t.TTL <= 0:
		return fmt.Errorf("%w: request lifetime must be positive", ErrBadTerms)
	}
	return nil
}

// New builds the request with id under terms, expiring TTL after now, paid
// through callback (the absolute URL of the payment endpoint).
func New(id ID, t Terms, callback string, now time.Time) Request {
	r := Request{
		ID: id, Method: Method, Destination: t.Destination,
		AssetCode: t.AssetCode, AssetIssuer: t.AssetIssuer, Amount: t.Amount,
		NetworkPassphrase: t.NetworkPassphrase, Bytes: t.Bytes,
		ExpiresAt: now.Add(t.TTL).UTC().Truncate(time.Second), Callback: callback,
	}
	r.fillLedgerAddress()
	r.URI = r.SEP7()
	return r
}

// SEP7 returns the request as a SEP-7 pay URI. The memo is the id as a
// base64 MEMO_HASH; the callback is "url:" + Callback; the network
// passphrase is given unless it is the public network's. Values are
// percent-encoded as the SEP's examples are (a space is %20, not the form
// encoding's +), so a wallet that decodes with decodeURIComponent reads
// the network passphrase right.
func (r Request) SEP7() string {
	q := []string{
		"destination=" + sep7Escape(r.Destination),
		"amount=" + r.Amount.String(),
		"asset_code=" + sep7Escape(r.AssetCode),
		"asset_issuer=" + sep7Escape(r.AssetIssuer),
		"memo=" + sep7Escape(base64.StdEncoding.EncodeToString(r.ID[:])),
		"memo_type=MEMO_HASH",
	}
	if r.Callback != "" {
		q = append(q, "callback="+sep7Escape("url:"+r.Callback))
	}
	if r.NetworkPassphrase != PubnetPassphrase {
		q = append(q, "network_passphrase="+sep7Escape(r.NetworkPassphrase))
	}
	q = append(q, "msg="+sep7Escape("TorPlus: "+strconv.FormatInt(r.Bytes, 10)+" bytes"))
	return "web+stellar:pay?" + strings.Join(q, "&")
}

// sep7Escape percent-encodes a URI parameter value: url.QueryEscape, with
// spaces as %20 (a literal + is already %2B).
func sep7Escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
