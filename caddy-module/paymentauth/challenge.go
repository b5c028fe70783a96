package paymentauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Challenge is one Payment challenge: the auth-params of a
// WWW-Authenticate: Payment value, and the same object echoed in a
// credential. Request stays the base64url string as sent, because the id
// binds that exact string.
type Challenge struct {
	// ID is the HMAC binding of the other parameters (see Issuer).
	ID string `json:"id"`
	// Realm is the protection space: the site's onion host name.
	Realm string `json:"realm"`
	// Method is "stellar".
	Method string `json:"method"`
	// Intent is "charge".
	Intent string `json:"intent"`
	// Request is the base64url (no padding) of the JCS JSON of a Request.
	Request string `json:"request"`
	// Expires is an RFC 3339 time; we always set it.
	Expires string `json:"expires,omitempty"`
	// Digest binds a request body (RFC 9530); we do not use it, but it is
	// bound when present.
	Digest string `json:"digest,omitempty"`
	// Opaque is server correlation data (base64url JCS); bound when present.
	Opaque string `json:"opaque,omitempty"`
	// Description is for people only and is not bound.
	Description string `json:"description,omitempty"`
}

// ErrSecret: an Issuer needs a secret of at least MinSecretBytes.
var ErrSecret = errors.New("paymentauth: challenge secret too short")

// MinSecretBytes is the shortest per-site secret an Issuer accepts: an
// HMAC-SHA256 key shorter than its output weakens the binding.
const MinSecretBytes = 32

// Issuer makes a site's challenges and checks credentials against them.
// Its secret binds every challenge id; keep it on the host (the meter
// keeps it in the data dir, mode 0600) and never log it.
type Issuer struct {
	realm string
	// secrets[0] binds new challenges; all of them verify, so a rotated
	// secret keeps its unexpired challenges valid, as the draft asks.
	secrets [][]byte
}

// NewIssuer returns the Issuer of realm (the site's onion host name) with
// the given secret, and optionally the secrets it replaced, still accepted
// for challenges issued before the rotation.
func NewIssuer(realm string, secret []byte, previous ...[]byte) (*Issuer, error) {
	if realm == "" || strings.ContainsAny(realm, "\"\\\r\n") {
		return nil, fmt.Errorf("paymentauth: realm %q cannot be a quoted-string", realm)
	}
	is := &Issuer{realm: realm}
	for _, s := range append([][]byte{secret}, previous...) {
		if len(s) < MinSecretBytes {
			return nil, fmt.Errorf("%w: %d bytes, need %d", ErrSecret, len(s), MinSecretBytes)
		}
		is.secrets = append(is.secrets, append([]byte(nil), s...))
	}
	return is, nil
}

// Realm returns the protection space this Issuer's challenges name.
func (is *Issuer) Realm() string { return is.realm }

// Challenge returns a stellar charge challenge for r that expires at
// expires, its id bound to every other parameter.
func (is *Issuer) Challenge(r Request, expires time.Time) (Challenge, error) {
	req, err := encodeRequest(r)
	if err != nil {
		return Challenge{}, err
	}
	c := Challenge{
		Realm:   is.realm,
		Method:  MethodStellar,
		Intent:  IntentCharge,
		Request: req,
		Expires: expires.UTC().Format(time.RFC3339),
	}
	c.ID = bind(is.secrets[0], c)
	return c, nil
}

// bind computes the draft's recommended id: HMAC-SHA256 over the seven
// positional slots realm|method|intent|request|expires|digest|opaque,
// base64url without padding. Absent optional slots stay empty rather than
// being left out, so (expires, no digest) and (no expires, digest) differ.
func bind(secret []byte, c Challenge) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join([]string{c.Realm, c.Method, c.Intent, c.Request, c.Expires, c.Digest, c.Opaque}, "|")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// check reports whether c is an unexpired challenge of this Issuer,
// unaltered, and returns its request. It does not know whether c was used
// before: single use is the store's to record, keyed by c.ID.
func (is *Issuer) check(c Challenge, now time.Time) (Request, error) {
	if c.Method != MethodStellar || c.Intent != IntentCharge {
		return Request{}, fmt.Errorf("%w: %s/%s", ErrMethod, c.Method, c.Intent)
	}
	if c.Realm != is.realm {
		return Request{}, fmt.Errorf("%w: %q", ErrRealm, c.Realm)
	}
	if !is.bound(c) {
		return Request{}, ErrBinding
	}
	exp, err := time.Parse(time.RFC3339, c.Expires)
	if err != nil {
		return Request{}, fmt.Errorf("%w: expires %q", ErrExpired, c.Expires)
	}
	if !now.Before(exp) {
		return Request{}, fmt.Errorf("%w: at %s", ErrExpired, c.Expires)
	}
	return decodeRequest(c.Request)
}

// bound reports whether c's id is its binding under one of our secrets.
func (is *Issuer) bound(c Challenge) bool {
	for _, s := range is.secrets {
		if hmac.Equal([]byte(c.ID), []byte(bind(s, c))) {
			return true
		}
	}
	return false
}

// String returns the challenge as a WWW-Authenticate value. Every value is
// a quoted-string; the ones we emit hold no quote or backslash, but the
// escaping keeps a hostile Description from breaking the header.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString("Payment ")
	param := func(name, v string, always bool) {
		if v == "" && !always {
			return
		}
		if b.Len() > len("Payment ") {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(quote(v))
		b.WriteByte('"')
	}
	param("id", c.ID, true)
	param("realm", c.Realm, true)
	param("method", c.Method, true)
	param("intent", c.Intent, true)
	param("request", c.Request, true)
	param("expires", c.Expires, false)
	param("digest", c.Digest, false)
	param("opaque", c.Opaque, false)
	param("description", c.Description, false)
	return b.String()
}

// quote escapes '"' and '\' for a quoted-string and drops the characters a
// header value cannot hold (CR, LF and other controls).
func quote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ { // bytes: obs-text (0x80–0xFF) passes as is
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t', c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
