package identity

import (
	"net/http"
	"strings"
	"testing"
)

func TestTakeCookie(t *testing.T) {
	tok := NewCookie().Value
	tests := []struct {
		name  string
		lines []string
		val   string
		found bool
		kept  []string
	}{
		{"none", nil, "", false, nil},
		{"other cookies only", []string{"a=1; b=2"}, "", false, []string{"a=1; b=2"}},
		{"alone", []string{CookieName + "=" + tok}, tok, true, nil},
		{"among others", []string{"a=1; " + CookieName + "=" + tok + "; b=2"}, tok, true, []string{"a=1; b=2"}},
		{"quoted", []string{CookieName + `="` + tok + `"`}, tok, true, nil},
		{"two lines", []string{"a=1", CookieName + "=" + tok}, tok, true, []string{"a=1"}},
		{"a look-alike name", []string{"x" + CookieName + "=1"}, "", false, []string{"x" + CookieName + "=1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.lines != nil {
				h["Cookie"] = tc.lines
			}
			v, ok := takeCookie(h)
			if v != tc.val || ok != tc.found || strings.Join(h["Cookie"], "|") != strings.Join(tc.kept, "|") {
				t.Fatalf("takeCookie = %q, %v; left %q", v, ok, h["Cookie"])
			}
		})
	}
}

// TestIdentifyCookie: the cookie keys the session, the header wins, a
// malformed cookie is ignored, and the cookie never stays on the request.
func TestIdentifyCookie(t *testing.T) {
	c, h := NewCookie().Value, NewCookie().Value
	sum := func(tok string) Key { s, _ := ParseToken(tok); return SessionKey(s) }
	for _, tc := range []struct {
		name           string
		header, cookie string
		want           Key
	}{
		{"cookie", "", c, sum(c)},
		{"header wins", h, c, sum(h)},
		{"malformed cookie", "", "junk", Key{Kind: KindCircuit}}, // keyed by its circuit
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://x.onion/", nil)
			r.RemoteAddr = "[fc00:dead:beef:4dad::0:9]:9"
			if tc.header != "" {
				r.Header.Set(SessionHeader, tc.header)
			}
			r.Header.Set("Cookie", CookieName+"="+tc.cookie+"; keep=1")
			if want := tc.header == "" && tc.cookie == "junk"; WantsCookie(r) != want {
				t.Fatalf("WantsCookie = %v", !want)
			}
			k, err := Identify(r, false)
			if tc.want.Kind == KindCircuit {
				tc.want = k
			}
			if err != nil || k != tc.want || r.Header.Get("Cookie") != "keep=1" {
				t.Fatalf("Identify = %v, %v; Cookie left %q", k, err, r.Header.Get("Cookie"))
			}
		})
	}
}

// FuzzTakeCookie: any Cookie header parses without panic, and our cookie
// never survives on the request.
func FuzzTakeCookie(f *testing.F) {
	f.Add("a=1; " + CookieName + "=x; b=2")
	f.Add(CookieName + "=;;;" + CookieName + "=\"")
	f.Fuzz(func(t *testing.T, line string) {
		h := http.Header{"Cookie": {line}}
		takeCookie(h)
		if _, ok := cookieValue(h["Cookie"]); ok {
			t.Fatalf("session cookie left in %q", h["Cookie"])
		}
	})
}
