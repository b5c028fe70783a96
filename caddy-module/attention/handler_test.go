package attention

import (
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

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/internal/pgtest"
)

// startSite runs a real Caddy serving root with the attention handler in
// front of file_server (which hides dotfiles, as `hoster serve` does).
func startSite(t *testing.T, root, driver, options string) *attentiontest.Server {
	db := "sqlite " + filepath.Join(t.TempDir(), "store.db")
	if driver == "postgres" {
		db = "postgres " + pgtest.Start(t).DSN
	}
	return attentiontest.Start(t, "", fmt.Sprintf(`	root * %s
	file_server {
		hide .*
	}
	torplus_attention testsite {
		store %s
		%s
	}`, root, db, options))
}

func post(t *testing.T, url, ctype, body string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func jsonReport(session, path string, ms int64) string {
	return fmt.Sprintf(`{"session":%q,"path":%q,"visible_ms":%d}`, session, path, ms)
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
	a, b, c := "session-aaaaaaaaaaaaaaaa", "session-bbbbbbbbbbbbbbbb", "session-cccccccccccccccc"
	e := "session-eeeeeeeeeeeeeeee"
	tests := []struct {
		name, ctype, body string
		status            int
		reason            string
	}{
		{"page view opens the clock", "application/json", jsonReport(a, "/", 0), 204, ""},
		{"first report of a session", "application/json", jsonReport(b, "/about.html", 60_000), 204, ""},
		{"beacon form", "application/x-www-form-urlencoded", "session=" + c + "&path=%2Farticles%2Fgrowing.html&visible_ms=4000", 204, ""},
		{"index.html is /", "application/json", jsonReport(c, "/index.html", 0), 204, ""},
		{"forged path", "application/json", jsonReport(a, "/secret.html", 10), 422, "not a page of this site"},
		{"dotfile path", "application/json", jsonReport(a, "/.git/config.html", 10), 422, "not a page"},
		{"traversal", "application/json", jsonReport(a, "/../../etc/passwd", 10), 400, "not a clean path"},
		{"a stylesheet is not a page", "application/json", jsonReport(e, "/css/site.css", 10), 422, "not a page"},
		{"time inflation", "application/json", jsonReport(e, "/", 3_600_000), 422, "exceeds the wall time"},
		{"first report inflated", "application/json", jsonReport("session-dddddddddddddddd", "/", 11*60_000), 422, "exceeds the wall time"},
		{"huge body", "application/json", `{"pad":"` + strings.Repeat("x", 5000) + `"}`, 413, "too large"},
		{"junk", "application/json", "junk", 400, "malformed"},
		{"wrong type", "image/png", "x", 415, "content type"},
		{"flood: burst of 3 used", "application/json", jsonReport(a, "/", 0), 429, "too many reports"},
	}
	for _, tt := range tests {
		code, body, hdr := post(t, ep, tt.ctype, tt.body)
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
	want := []PageTotal{{"/", 0, 2}, {"/about.html", 60_000, 1}, {"/articles/growing.html", 4000, 1}}
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
	s := "session-reloadreloadreload"
	for i, want := range []int{204, 204} {
		if code, body, _ := post(t, ep, "application/json", jsonReport(s, "/about.html", 0)); code != want {
			t.Fatalf("report %d: %d %s", i, code, body)
		}
	}
	if err := caddy.Load(srv.Config, true); err != nil {
		t.Fatal(err)
	}
	// The old server closed its kept-alive connections; a POST is not retried.
	http.DefaultClient.CloseIdleConnections()
	if code, body, _ := post(t, ep, "application/json", jsonReport(s, "/about.html", 0)); code != 429 {
		t.Errorf("after reload the burst is forgotten: %d %s", code, body)
	}
	got := adminAttention(t, srv.Admin, "testsite")
	if len(got.Pages) != 1 || got.Pages[0].Reports != 2 {
		t.Errorf("after reload: %+v", got.Pages)
	}
}
