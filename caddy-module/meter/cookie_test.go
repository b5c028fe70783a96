package meter

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/identity"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// cookieUpstream echoes the Cookie and TorPlus-Session headers it gets.
func cookieUpstream(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("cookie=" + r.Header.Get("Cookie") + "\nsession=" + r.Header.Get("TorPlus-Session")))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// sessionOf is the session key of a cookie or header token.
func sessionOf(t *testing.T, token string) string {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return "session:" + hex.EncodeToString(sum[:])
}

// TestSessionCookie: a browser's first response sets the session cookie
// (HttpOnly, SameSite=Lax, Path=/); with it the balance follows the
// browser to a new circuit; a TorPlus-Session header wins; no upstream
// sees the cookie; API clients get none.
func TestSessionCookie(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"cookie": {"free_round": 1_000_000}}, cookieUpstream(t))
	site.file("a.bin", 10_000)
	u := func(p string) string { return site.url("cookie", p) }

	resp, _ := newClient(7001, "", "").get(t, u("/a.bin"), "Accept", browserAccept)
	cs := resp.Cookies()
	if resp.StatusCode != 200 || len(cs) != 1 || cs[0].Name != identity.CookieName || !cs[0].HttpOnly ||
		cs[0].SameSite != http.SameSiteLaxMode || cs[0].Path != "/" {
		t.Fatalf("first response: %s, cookies %+v", resp.Status, cs)
	}
	cookie := cs[0].Value
	if resp, _ := newClient(7001, "", "").get(t, u("/a.bin"), "Accept", "*/*"); len(resp.Cookies()) != 0 {
		t.Fatal("an API client was given a cookie")
	}

	// On a new circuit, the cookie is the session.
	resp, body := newClient(7002, "", "").get(t, u("/proxy/x"), "Accept", browserAccept,
		"Cookie", "theme=dark; "+identity.CookieName+"="+cookie+"; lang=en")
	if resp.StatusCode != 200 || len(resp.Cookies()) != 0 {
		t.Fatalf("with the cookie: %s, cookies %+v", resp.Status, resp.Cookies())
	}
	if got := string(body); got != "cookie=theme=dark; lang=en\nsession=" {
		t.Fatalf("upstream saw %q", got)
	}
	sessions := site.sessions("cookie")
	if s, ok := sessions[sessionOf(t, cookie)]; !ok || s.BytesServed == 0 {
		t.Fatalf("no session for the cookie: %v", sessions)
	}

	before := sessions[sessionOf(t, cookie)].BytesServed
	newClient(7005, "", "").get(t, u("/a.bin"), "Accept", browserAccept, "Cookie", identity.CookieName+"="+cookie)
	if after := site.sessions("cookie")[sessionOf(t, cookie)].BytesServed; after != before+10_000 {
		t.Fatalf("on a third circuit the cookie's session went from %d to %d bytes", before, after)
	}

	// A header token wins over the cookie.
	token := newToken()
	newClient(7003, "", token).get(t, u("/a.bin"), "Cookie", identity.CookieName+"="+cookie)
	if s := site.sessions("cookie")[sessionOf(t, token)]; s.BytesServed == 0 {
		t.Fatal("the header token did not win")
	}

	// A malformed cookie is replaced, not refused.
	resp, _ = newClient(7004, "", "").get(t, u("/a.bin"), "Accept", browserAccept, "Cookie", identity.CookieName+"=junk")
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || strings.Contains(resp.Cookies()[0].Value, "junk") {
		t.Fatalf("malformed cookie: %s, %+v", resp.Status, resp.Cookies())
	}
}
