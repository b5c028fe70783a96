package paymentauth

import (
	"fmt"
	"strings"
)

// MaxHeaderBytes bounds a header value we parse. The draft asks servers to
// handle credentials of at least 4 KB; a signed SAC transfer is under 2 KB.
const MaxHeaderBytes = 16 << 10

// ParseChallenges returns the Payment challenges in a WWW-Authenticate
// value (RFC 9110 section 11.6.1: several challenges, of several schemes,
// may share one value). Challenges of other schemes are skipped; a Payment
// challenge without a non-empty id, or with a malformed parameter list, is
// an ErrMalformed error, as the draft tells parsers to reject it. Call it
// once per WWW-Authenticate field line.
func ParseChallenges(h string) ([]Challenge, error) {
	if len(h) > MaxHeaderBytes {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrMalformed, len(h))
	}
	p := &paramParser{s: h}
	var out []Challenge
	var cur *Challenge
	for {
		p.skip(" \t,")
		if p.done() {
			break
		}
		name := p.token()
		if name == "" {
			return nil, fmt.Errorf("%w: unexpected %q at %d", ErrMalformed, p.s[p.i], p.i)
		}
		p.skip(" \t")
		if !p.peek('=') || p.isToken68End() {
			// A new challenge starts with its scheme; a token68 after a
			// scheme (other schemes only) is skipped with it.
			if p.peek('=') {
				p.skip("=")
			}
			if strings.EqualFold(name, "Payment") {
				out = append(out, Challenge{})
				cur = &out[len(out)-1]
			} else {
				cur = nil
			}
			continue
		}
		p.i++ // '='
		p.skip(" \t")
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		if cur != nil {
			cur.set(strings.ToLower(name), val)
		}
	}
	for _, c := range out {
		if c.ID == "" {
			return nil, fmt.Errorf("%w: Payment challenge without an id", ErrMalformed)
		}
	}
	return out, nil
}

// set stores one auth-param; unknown ones are ignored, as the draft says.
func (c *Challenge) set(name, v string) {
	switch name {
	case "id":
		c.ID = v
	case "realm":
		c.Realm = v
	case "method":
		c.Method = v
	case "intent":
		c.Intent = v
	case "request":
		c.Request = v
	case "expires":
		c.Expires = v
	case "digest":
		c.Digest = v
	case "opaque":
		c.Opaque = v
	case "description":
		c.Description = v
	}
}

// paramParser walks an auth-param list.
type paramParser struct {
	s string
	i int
}

func (p *paramParser) done() bool       { return p.i >= len(p.s) }
func (p *paramParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *paramParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// isToken68End reports whether the '=' at p.i ends a token68 ("abc==")
// rather than starting a parameter value: only '=', spaces or a comma
// follow it up to the end or the next comma.
func (p *paramParser) isToken68End() bool {
	j := p.i
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	equals := j - p.i
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	return equals > 1 || j >= len(p.s) || p.s[j] == ','
}

// token reads an RFC 9110 token.
func (p *paramParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a token or a quoted-string (with its backslash escapes).
func (p *paramParser) value() (string, error) {
	if !p.peek('"') {
		v := p.token()
		if v == "" {
			return "", fmt.Errorf("%w: empty parameter value at %d", ErrMalformed, p.i)
		}
		return v, nil
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\' && p.i < len(p.s):
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): an
			// escaped control is as malformed as a bare one (RFC 9110 §5.6.4).
			if e := p.s[p.i]; (e < 0x20 && e != '\t') || e == 0x7f {
				return "", fmt.Errorf("%w: control character in quoted-pair", ErrMalformed)
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c < 0x20 && c != '\t', c == 0x7f:
			return "", fmt.Errorf("%w: control character in quoted-string", ErrMalformed)
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w: unterminated quoted-string", ErrMalformed)
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
