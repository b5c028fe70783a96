package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestServeConfigRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		opts serveOptions
		err  error  // a sentinel, or nil to match text
		text string // part of the error message
	}{
		{"root and upstream", serveOptions{root: siteDir, upstream: "http://127.0.0.1:8080"}, ErrRootAndUpstream, ""},
		{"missing root", serveOptions{root: "/no/such/dir"}, ErrNoFolder, "/no/such/dir"},
		{"root is a file", serveOptions{root: filepath.Join(siteDir, "index.html")}, ErrNoFolder, "index.html"},
		{"https upstream", serveOptions{upstream: "https://example.com"}, nil, "want http://host:port"},
		{"upstream with path", serveOptions{upstream: "http://127.0.0.1:8080/blog"}, nil, "want http://host:port"},
		{"public admin", serveOptions{root: siteDir, admin: "0.0.0.0:2019"}, ErrAdminNotLocal, ""},
		{"admin on a LAN address", serveOptions{root: siteDir, admin: "192.168.1.2:2019"}, ErrAdminNotLocal, ""},
		{"admin without port", serveOptions{root: siteDir, admin: "localhost"}, ErrAdminNotLocal, ""},
		{"two backends", serveOptions{root: siteDir, admin: "off", meter: meterOptions{payTo: testDestination, assetIssuer: testIssuer, horizon: "http://127.0.0.1:8000", offlineLedger: "accounts.json"}}, ErrTwoBackends, ""},
		{"bad round size", serveOptions{root: siteDir, admin: "off", meter: meterOptions{payTo: testDestination, assetIssuer: testIssuer, round: "lots"}}, nil, "--round"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.dataDir = t.TempDir()
			_, err := serveConfig(tt.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.text)
			}
		})
	}
}

func TestServeConfigAcceptsLocalAdmin(t *testing.T) {
	for _, admin := range []string{"localhost:2019", "127.0.0.1:2999", "[::1]:2019", "unix//tmp/admin.sock", "off"} {
		if _, err := serveConfig(serveOptions{root: siteDir, dataDir: t.TempDir(), admin: admin}); err != nil {
			t.Errorf("--admin %s: %v", admin, err)
		}
	}
}

// TestServeSocketReadsProxyHeaders loads the http part of the serve config
// into a real Caddy (tor is not needed to speak to the socket) and talks to
// it the way tor does: a PROXY v1 line naming the circuit, then HTTP.
func TestServeSocketReadsProxyHeaders(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "torplus-sock-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off"})

	tests := []struct {
		name, proxy, path string
		wantStatus        int
		wantBody          string
	}{
		{"circuit 0x1c", "PROXY TCP6 fc00:dead:beef:4dad::0:1c ::1 28 80\r\n", "/whoami", 200, "fc00:dead:beef:4dad::1c"},
		{"circuit 0x10001", "PROXY TCP6 fc00:dead:beef:4dad::1:1 ::1 1 80\r\n", "/whoami", 200, "fc00:dead:beef:4dad::1:1"},
		{"a page", "PROXY TCP6 fc00:dead:beef:4dad::0:1c ::1 28 80\r\n", "/about.html", 200, "About this site"},
		{"dotfiles hidden", "PROXY TCP6 fc00:dead:beef:4dad::0:1c ::1 28 80\r\n", "/.gitignore", 404, ""},
		{"malformed header", "PROXY TCP6 not-an-address ::1 28 80\r\n", "/whoami", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, sock, tt.proxy, tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Fatalf("body %q lacks %q", body, tt.wantBody)
			}
		})
	}
}

// addWhoami puts a route answering the client's address in front of the site.
func addWhoami(t *testing.T, cfg *caddy.Config) {
	t.Helper()
	var app caddyhttp.App
	if err := json.Unmarshal(cfg.AppsRaw["http"], &app); err != nil {
		t.Fatal(err)
	}
	srv := app.Servers["onion"]
	whoami := caddyhttp.Route{
		MatcherSetsRaw: caddyhttp.RawMatcherSets{{"path": caddyconfig.JSON([]string{"/whoami"}, nil)}},
		HandlersRaw: []json.RawMessage{caddyconfig.JSONModuleObject(map[string]any{
			"body": "{http.request.remote.host}",
		}, "handler", "static_response", nil)},
		Terminal: true,
	}
	srv.Routes = append(caddyhttp.RouteList{whoami}, srv.Routes...)
	cfg.AppsRaw["http"] = caddyconfig.JSON(app, nil)
}

// rawRequest sends proxyLine and a GET over the unix socket; status 0 means
// the server closed the connection without an answer.
func rawRequest(t *testing.T, sock, proxyLine, path string) (int, string) {
	t.Helper()
	status, _, body := rawExchange(t, sock, proxyLine, "GET "+path+" HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n\r\n")
	return status, body
}

// rawExchange sends proxyLine then request over the unix socket and reads
// the response; status 0 means the connection closed without an answer.
func rawExchange(t *testing.T, sock, proxyLine, request string) (int, http.Header, string) {
	t.Helper()
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, proxyLine+request); err != nil {
		return 0, nil, ""
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// runServeConfig loads the http part of the serve config for o (tor is not
// needed to talk to the socket) with a /whoami route in front, and returns
// the socket's path.
func runServeConfig(t *testing.T, o serveOptions) string {
	t.Helper()
	cfg, err := serveConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.AppsRaw, "onion")
	addWhoami(t, cfg)
	if err := caddy.Run(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	return filepath.Join(o.dataDir, "http.sock")
}

// TestServeMetersAndTakesAttention: with --pay-to, serve meters every
// visitor and takes the beacon's attention reports for pages of the site.
func TestServeMetersAndTakesAttention(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "torplus-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "1MB", round: "10MB",
	}})
	const circuit = "PROXY TCP6 fc00:dead:beef:4dad::0:2a ::1 42 80\r\n"
	status, hdr, _ := rawExchange(t, sock, circuit, "GET /about.html HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n\r\n")
	if status != 200 || hdr.Get("TorPlus-Remaining") != "1000000" {
		t.Fatalf("metered page: status %d, TorPlus-Remaining %q", status, hdr.Get("TorPlus-Remaining"))
	}
	report := `{"session":"serve-test-session-0001","path":"/about.html","visible_ms":0}`
	for _, tt := range []struct {
		report string
		want   int
	}{
		{report, http.StatusNoContent},
		{`{"session":"serve-test-session-0002","path":"/no-such-page.html","visible_ms":0}`, http.StatusUnprocessableEntity},
	} {
		req := "POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(len(tt.report)) + "\r\nConnection: close\r\n\r\n" + tt.report
		if status, _, body := rawExchange(t, sock, circuit, req); status != tt.want {
			t.Fatalf("attention report %s: status %d (%s), want %d", tt.report, status, body, tt.want)
		}
	}
}

func TestServeConfigDashboard(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:2020": true, "[::1]:2020": true, "0.0.0.0:2020": false, "example.com:80": false, "localhost": false, "off": true} {
		_, err := serveConfig(serveOptions{root: siteDir, dataDir: t.TempDir(), admin: "off", dashboard: addr})
		if (err == nil) != ok || (!ok && !errors.Is(err, ErrDashboardNotLocal)) {
			t.Errorf("--dashboard %s: err = %v", addr, err)
		}
	}
}

// TestServeUpstreamTakesAttention: with --upstream (compose's default
// stack), the beacon's attention reports are answered by the hoster, not
// passed to the web server (nginx answered them 403, so attention was
// never recorded); other requests still reach the web server. Attention
// is bound to the meter's identity, so it runs with metering on.
func TestServeUpstreamTakesAttention(t *testing.T) {
	var posts atomic.Int32
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
			http.Error(w, "forbidden", http.StatusForbidden) // as nginx serving static files does
			return
		}
		io.WriteString(w, "from the web server")
	}))
	defer web.Close()
	dataDir := shortDataDir(t)
	sock := runServeConfig(t, serveOptions{upstream: web.URL, dataDir: dataDir, admin: "off",
		meter: meterOptions{payTo: testDestination, assetIssuer: testIssuer}})
	const circuit = "PROXY TCP6 fc00:dead:beef:4dad::0:2b ::1 43 80\r\n"
	if status, body := rawRequest(t, sock, circuit, "/articles/a.html"); status != 200 || body != "from the web server" {
		t.Fatalf("page: %d %q", status, body)
	}
	report := `{"path":"/articles/a.html","visible_ms":0}`
	req := "POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(report)) + "\r\nConnection: close\r\n\r\n" + report
	if status, _, body := rawExchange(t, sock, circuit, req); status != http.StatusNoContent || posts.Load() != 0 {
		t.Fatalf("attention report: status %d (%s), %d POSTs reached the web server", status, body, posts.Load())
	}
}
