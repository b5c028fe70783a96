package payreq

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Scheme is the HTTP authentication scheme of payment challenges.
const Scheme = "Payment"

// MaxChallenge bounds the size of a challenge this package will parse.
const MaxChallenge = 16 << 10

// Challenge returns the request as a WWW-Authenticate value:
// Payment id="<hex>", method="stellar", request="<base64url JSON>".
func (r Request) Challenge() string {
	js, _ := json.Marshal(r)
	return fmt.Sprintf(`%s id=%q, method=%q, request=%q`, Scheme, r.ID.String(), Method,
		base64.RawURLEncoding.EncodeToString(js))
}

// ParseChallenge finds the Payment challenge in a header value made by
// Challenge (WWW-Authenticate or TorPlus-Payment-Request; the value may
// hold several challenges, RFC 9110 §11.6.1) and returns its request. The
// id and method parameters must agree with the request.
func ParseChallenge(v string) (Request, error) {
	if len(v) > MaxChallenge {
		return Request{}, fmt.Errorf("%w: longer than %d bytes", ErrBadChallenge, MaxChallenge)
	}
	params, err := paymentParams(v)
	if err != nil {
		return Request{}, err
	}
	if !strings.EqualFold(params["method"], Method) {
		return Request{}, fmt.Errorf("%w: method %q is not %s", ErrBadChallenge, params["method"], Method)
	}
	js, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(params["request"], "="))
	if err != nil {
		return Request{}, fmt.Errorf("%w: request is not base64url: %v", ErrBadChallenge, err)
	}
	var r Request
	if err := json.Unmarshal(js, &r); err != nil {
		return Request{}, fmt.Errorf("%w: request JSON: %v", ErrBadChallenge, err)
	}
	if r.ID.String() != params["id"] || r.Method != Method {
		return Request{}, fmt.Errorf("%w: id or method differ between parameters and request", ErrBadChallenge)
	}
	return r, nil
}

// paymentParams returns the auth-params of the first Payment challenge in
// a list of challenges.
func paymentParams(h string) (map[string]string, error) {
	p := &parser{s: h}
	for {
		p.skip(" \t,")
		if p.done() {
			return nil, fmt.Errorf("%w: no %s challenge", ErrBadChallenge, Scheme)
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
		if strings.EqualFold(name, Scheme) {
			return params, nil
		}
	}
}

// parser reads challenges and auth-params (RFC 9110 §11.2–11.3).
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
			return nil, fmt.Errorf("%w: parameter %s repeated", ErrBadChallenge, key)
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
				return "", fmt.Errorf("%w: unterminated escape", ErrBadChallenge)
			}
			b.WriteByte(p.s[p.i])
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w: unterminated quoted string", ErrBadChallenge)
}

// ParseSEP7 reads a SEP-7 `web+stellar:pay?…` URI and returns its
// parameters, with the callback's "url:" prefix removed.
func ParseSEP7(uri string) (url.Values, error) {
	const prefix = "web+stellar:pay?"
	if !strings.HasPrefix(uri, prefix) {
		return nil, fmt.Errorf("%w: not a web+stellar:pay URI", ErrBadChallenge)
	}
	q, err := url.ParseQuery(uri[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: SEP-7 query: %v", ErrBadChallenge, err)
	}
	if cb := q.Get("callback"); cb != "" {
		if !strings.HasPrefix(cb, "url:") {
			return nil, fmt.Errorf("%w: SEP-7 callback must start with url:", ErrBadChallenge)
		}
		q.Set("callback", strings.TrimPrefix(cb, "url:"))
	}
	return q, nil
}
