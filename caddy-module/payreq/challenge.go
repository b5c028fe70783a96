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
const MaxChallenge = 8 << 10

// Challenge returns the request as a WWW-Authenticate value:
// Payment id="<hex>", method="stellar", request="<base64url JSON>".
func (r Request) Challenge() string {
	js, _ := json.Marshal(r)
	return fmt.Sprintf(`%s id=%q, method=%q, request=%q`, Scheme, r.ID, Method,
		base64.RawURLEncoding.EncodeToString(js))
}

// ParseChallenge reads a Payment challenge made by Challenge (from a
// WWW-Authenticate or TorPlus-Payment-Request header) and returns its
// request. The id and method parameters must agree with the request.
func ParseChallenge(v string) (Request, error) {
	if len(v) > MaxChallenge {
		return Request{}, fmt.Errorf("%w: longer than %d bytes", ErrBadChallenge, MaxChallenge)
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, Scheme) {
		return Request{}, fmt.Errorf("%w: scheme %q is not %s", ErrBadChallenge, scheme, Scheme)
	}
	params, err := parseParams(rest)
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
	if r.ID != params["id"] || r.Method != Method {
		return Request{}, fmt.Errorf("%w: id or method differ between parameters and request", ErrBadChallenge)
	}
	if _, err := r.RawID(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// parseParams reads comma-separated auth-params: name=token or
// name="quoted string" (RFC 9110 §11.2). Repeated names are an error.
func parseParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return params, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: parameter without a value", ErrBadChallenge)
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		if name == "" || strings.ContainsAny(name, " \t\",") {
			return nil, fmt.Errorf("%w: bad parameter name %q", ErrBadChallenge, name)
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("%w: unterminated quoted string", ErrBadChallenge)
			}
			val, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: parameter %q repeated", ErrBadChallenge, name)
		}
		params[name] = val
		s = strings.TrimLeft(s, " \t")
		if s != "" && s[0] != ',' {
			return nil, fmt.Errorf("%w: expected ',' after parameter %q", ErrBadChallenge, name)
		}
	}
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
