package identity

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
)

// A browser cannot send a TorPlus-Session header, and Tor Browser moves it
// to a new circuit about every ten minutes, so the meter sets the same
// token as a first-party cookie on the first response. The cookie is
// HttpOnly (no page script reads the bearer credential), SameSite=Lax
// (another site cannot spend the balance through embedded requests) and
// Path=/. A TorPlus-Session header still wins when both are sent. Like a
// header token, only the cookie's SHA-256 is kept, a fresh cookie first
// seen on a circuit shares what is left of that circuit's free round, and
// Identify removes the cookie from the request so no upstream sees it.

// CookieName is the name of the session cookie.
const CookieName = "torplus_session"

var cookieKey = http.CanonicalHeaderKey("Cookie")

// NewCookie returns a session cookie holding a fresh token.
func NewCookie() *http.Cookie {
	var b [TokenSize]byte
	rand.Read(b[:]) // never fails
	return &http.Cookie{Name: CookieName, Value: base64.RawURLEncoding.EncodeToString(b[:]),
		Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// WantsCookie reports whether the response to r should set a session
// cookie: r carries neither a TorPlus-Session header nor a well-formed
// session cookie. Call it before Identify, which removes both.
func WantsCookie(r *http.Request) bool {
	if v := r.Header[sessionKey]; len(v) > 0 && v[0] != "" {
		return false
	}
	v, ok := cookieValue(r.Header[cookieKey])
	if !ok {
		return true
	}
	_, err := ParseToken(v)
	return err != nil
}

// cookieValue finds the session cookie in Cookie header lines.
func cookieValue(lines []string) (string, bool) {
	for _, line := range lines {
		if !strings.Contains(line, CookieName) {
			continue
		}
		for part := range strings.SplitSeq(line, ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && name == CookieName {
				return strings.Trim(val, `"`), true
			}
		}
	}
	return "", false
}

// takeCookie removes the session cookie from h and returns its value;
// the other cookies stay for the upstream.
func takeCookie(h http.Header) (string, bool) {
	lines := h[cookieKey]
	v, ok := cookieValue(lines)
	if !ok {
		return "", false
	}
	var kept []string
	for _, line := range lines {
		var parts []string
		for part := range strings.SplitSeq(line, ";") {
			if name, _, _ := strings.Cut(strings.TrimSpace(part), "="); name != CookieName {
				parts = append(parts, strings.TrimSpace(part))
			}
		}
		if len(parts) > 0 {
			kept = append(kept, strings.Join(parts, "; "))
		}
	}
	if len(kept) == 0 {
		delete(h, cookieKey)
	} else {
		h[cookieKey] = kept
	}
	return v, true
}
