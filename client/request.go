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

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of the protocol.
const (
	// ChallengeHeader carries the payment request on a 402.
	ChallengeHeader = "WWW-Authenticate"
	// NoticeHeader carries the next payment request on a 2xx response,
	// before the client runs out of paid bytes.
	NoticeHeader = "TorPlus-Payment-Request"
	// SessionHeader carries the client's session token.
	SessionHeader = "TorPlus-Session"
	// scheme is the HTTP authentication scheme of payments.
	scheme = "Payment"
)

// ErrChallenge means a payment challenge or request is malformed.
var ErrChallenge = errors.New("client: malformed payment request")

// PaymentRequest is what a site asks to be paid for the next round of bytes.
type PaymentRequest struct {
	// ID is the request id, 64 lowercase hex digits; the payment's MEMO_HASH.
	ID string `json:"id"`
	// Destination is the account to pay (G...).
	Destination string `json:"destination"`
	// AssetCode and AssetIssuer name the asset (TPT).
	AssetCode   string `json:"asset_code"`
	AssetIssuer string `json:"asset_issuer"`
	// Amount is a decimal string with at most 7 decimals.
	Amount string `json:"amount"`
	// NetworkPassphrase names the Stellar network.
	NetworkPassphrase string `json:"network_passphrase"`
	// Bytes is how many bytes the payment buys.
	Bytes int64 `json:"bytes"`
	// ExpiresAt is when the request expires (RFC 3339).
	ExpiresAt time.Time `json:"expires_at"`
	// URI is the SEP-7 web+stellar:pay URI, with callback=url:<endpoint>.
	URI string `json:"uri"`
}

// Challenge renders r as the value of a WWW-Authenticate (or
// TorPlus-Payment-Request) header.
func (r PaymentRequest) Challenge() string {
	body, _ := json.Marshal(r) // strings, a number and a time: cannot fail
	return fmt.Sprintf(`%s id=%s, method="stellar", request=%s`, scheme,
		strconv.Quote(r.ID), strconv.Quote(base64.RawURLEncoding.EncodeToString(body)))
}

// maxChallenge bounds a header value we are willing to parse.
const maxChallenge = 16 << 10

// ParseChallenge finds the Payment challenge in a header value (which may
// hold several challenges, RFC 9110 §11.6.1) and decodes its request. The
// challenge's id and the request's must agree and the method must be
// "stellar".
func ParseChallenge(header string) (PaymentRequest, error) {
	if len(header) > maxChallenge {
		return PaymentRequest{}, fmt.Errorf("%w: header of %d bytes", ErrChallenge, len(header))
	}
	params, err := paymentParams(header)
	if err != nil {
		return PaymentRequest{}, err
	}
	if params["method"] != "stellar" {
		return PaymentRequest{}, fmt.Errorf("%w: method %q, only stellar is supported", ErrChallenge, params["method"])
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(params["request"], "="))
	if err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: request is not base64url", ErrChallenge)
	}
	var r PaymentRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: request JSON: %v", ErrChallenge, err)
	}
	if r.ID != params["id"] {
		return PaymentRequest{}, fmt.Errorf("%w: challenge id %q differs from request id %q", ErrChallenge, params["id"], r.ID)
	}
	return r, nil
}

// paymentParams returns the auth-params of the first Payment challenge.
func paymentParams(h string) (map[string]string, error) {
	p := &parser{s: h}
	for {
		p.skip(" \t,")
		if p.done() {
			return nil, fmt.Errorf("%w: no %s challenge", ErrChallenge, scheme)
		}
		name := p.token()
		if name == "" {
			p.i++ // not a scheme (e.g. the padding of a token68): skip it
			continue
		}
		params, err := p.params()
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(name, scheme) {
			return params, nil
		}
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) skip(set string) {
	for !p.done() && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// isTchar reports whether c may appear in an RFC 9110 token.
func isTchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func (p *parser) token() string {
	start := p.i
	for !p.done() && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// params reads name=value pairs up to the next challenge (a token not
// followed by '=') or the end. Names are lower-cased; a repeated name is an error.
func (p *parser) params() (map[string]string, error) {
	out := map[string]string{}
	for {
		p.skip(" \t,")
		save := p.i
		name := p.token()
		p.skip(" \t")
		if name == "" || p.done() || p.s[p.i] != '=' {
			p.i = save // the next challenge starts here (or the input ends)
			return out, nil
		}
		p.i++
		p.skip(" \t")
		var val string
		if !p.done() && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return nil, err
			}
			val = v
		} else {
			val = p.token()
		}
		key := strings.ToLower(name)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w: parameter %s repeated", ErrChallenge, key)
		}
		out[key] = val
	}
}

// quoted reads a quoted-string with backslash escapes.
func (p *parser) quoted() (string, error) {
	var b strings.Builder
	for p.i++; !p.done(); p.i++ {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			p.i++
			if p.done() {
				return "", fmt.Errorf("%w: unterminated escape", ErrChallenge)
			}
			b.WriteByte(p.s[p.i])
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w: unterminated quoted string", ErrChallenge)
}
