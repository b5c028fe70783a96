package attention

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/internal/pgtest"
)

// startSite runs a real Caddy serving root with the metering handler
// (torplus), then the attention handler, in front of file_server (which
// hides dotfiles, as `hoster serve` does). Clients are clearnet clients
// keyed by their TorPlus-Session token, as the meter keys them.
func startSite(t *testing.T, root, driver, options string) *attentiontest.Server {
	db := "sqlite " + filepath.Join(t.TempDir(), "store.db")
	if driver == "postgres" {
		db = "postgres " + pgtest.Start(t).DSN
	}
	return attentiontest.Start(t, "", fmt.Sprintf(`	root * %s
	route {
		torplus {
			price 1
			destination %s
			asset TPT %s
			allow_clearnet
			store %s
		}
		torplus_attention testsite {
			allow_clearnet
			store %s
			%s
		}
		file_server {
			hide .*
		}
	}`, root, testDest, testIssuer, db, db, options))
}

// Stellar accounts of the test sites' meters (never paid here).
var (
	testDest   = keypair.MustRandom().Address()
	testIssuer = keypair.MustRandom().Address()
)

// newToken returns a fresh TorPlus-Session token: a fresh meter identity.
func newToken() string {
	b := make([]byte, identity.TokenSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// visit fetches path as the client token, so the meter has served it.
func visit(t *testing.T, site, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", site+path, nil)
	req.Header.Set(identity.SessionHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// post sends a report as the client token ("" sends none: the client is
// then its address, 127.0.0.1).
func post(t *testing.T, url, token, ctype, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set(identity.SessionHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func jsonReport(path string, ms int64) string {
	return fmt.Sprintf(`{"path":%q,"visible_ms":%d}`, path, ms)
}

func TestHandlerInCaddy(t *testing.T) {
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) { testHandlerInCaddy(t, driver) })
	}
}

func testHandlerInCaddy(t *testing.T, driver string) {
	root := site(t)
	srv := startSite(t, root, driver, "rate 60 3")
	ep := srv.Site + DefaultEndpoint
	a, b, c, e := newToken(), newToken(), newToken(), newToken()
	for _, tok := range []string{a, b, c, e} {
		if code := visit(t, srv.Site, tok, "/"); code != 200 {
			t.Fatalf("GET / as a fresh client: %d", code)
		}
	}
	tests := []struct {
		name, token, ctype, body string
		status                   int
		reason                   string
	}{
		{"page view opens the clock", a, "application/json", jsonReport("/", 0), 204, ""},
		{"first report within slack", b, "application/json", jsonReport("/about.html", 1500), 204, ""},
		{"old beacon's session field is ignored", c, "application/json", `{"session":"session-cccccccccccccccc","path":"/","visible_ms":0}`, 204, ""},
		{"beacon form", c, "application/x-www-form-urlencoded", "path=%2Farticles%2Fgrowing.html&visible_ms=400", 204, ""},
		{"index.html is /", c, "application/json", jsonReport("/index.html", 0), 204, ""},
		{"forged path", a, "application/json", jsonReport("/secret.html", 10), 422, "not a page of this site"},
		{"dotfile path", a, "application/json", jsonReport("/.git/config.html", 10), 422, "not a page"},
		{"traversal", a, "application/json", jsonReport("/../../etc/passwd", 10), 400, "not a clean path"},
		{"a stylesheet is not a page", e, "application/json", jsonReport("/css/site.css", 10), 422, "not a page"},
		{"time inflation", e, "application/json", jsonReport("/", 3_600_000), 422, "exceeds the wall time"},
		{"first report cannot claim 10 minutes", e, "application/json", jsonReport("/", 10*60_000), 422, "exceeds the wall time"},
		{"bad session field", e, "application/json", `{"session":"x","path":"/","visible_ms":0}`, 400, "session must be"},
		{"bad token (the meter refuses it)", "not-a-token", "application/json", jsonReport("/", 0), 400, "TorPlus-Session"},
		{"huge body", a, "application/json", `{"pad":"` + strings.Repeat("x", 5000) + `"}`, 413, "too large"},
		{"junk", a, "application/json", "junk", 400, "malformed"},
		{"wrong type", a, "image/png", "x", 415, "content type"},
		{"flood: burst of 3 used", a, "application/json", jsonReport("/", 0), 429, "too many reports"},
	}
	for _, tt := range tests {
		code, body, hdr := post(t, ep, tt.token, tt.ctype, tt.body)
		if code != tt.status || !strings.Contains(body, tt.reason) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, code, body, tt.status, tt.reason)
		}
		if code == 429 && hdr.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1", tt.name, hdr.Get("Retry-After"))
		}
	}
	resp, err := http.Get(ep)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET endpoint: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	// Other paths go on to the file server.
	resp, err = http.Get(srv.Site + "/about.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /about.html: %d", resp.StatusCode)
	}

	got := adminAttention(t, srv.Admin, "testsite")
	want := []PageTotal{{"/", 0, 3}, {"/about.html", 1500, 1}, {"/articles/growing.html", 400, 1}}
	if !reflect.DeepEqual(got.Pages, want) {
		t.Errorf("admin attention pages %v, want %v", got.Pages, want)
	}
	today := DayOf(time.Now()).String()
	if len(got.Days) != 3 || got.Days[0].Day != today || got.Days[2].Path != "/articles/growing.html" {
		t.Errorf("days %+v, want 3 rows of %s", got.Days, today)
	}
}

func adminAttention(t *testing.T, admin, site string) Attention {
	t.Helper()
	resp, err := http.Get(admin + "/torplus/attention?site=" + site)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Attention
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("admin attention: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReloadKeepsSessionsAndTotals: a config reload keeps the sessions'
// clocks and rate limits and loses no accepted report.
func TestReloadKeepsSessionsAndTotals(t *testing.T) {
	srv := startSite(t, site(t), "sqlite", "rate 60 2")
	ep := srv.Site + DefaultEndpoint
	s := newToken()
	visit(t, srv.Site, s, "/")
	for i, want := range []int{204, 204} {
		if code, body, _ := post(t, ep, s, "application/json", jsonReport("/about.html", 0)); code != want {
			t.Fatalf("report %d: %d %s", i, code, body)
		}
	}
	if err := caddy.Load(srv.Config, true); err != nil {
		t.Fatal(err)
	}
	// The old server closed its kept-alive connections; a POST is not retried.
	http.DefaultClient.CloseIdleConnections()
	if code, body, _ := post(t, ep, s, "application/json", jsonReport("/about.html", 0)); code != 429 {
		t.Errorf("after reload the burst is forgotten: %d %s", code, body)
	}
	got := adminAttention(t, srv.Admin, "testsite")
	if len(got.Pages) != 1 || got.Pages[0].Reports != 2 {
		t.Errorf("after reload: %+v", got.Pages)
	}
}
