package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

const testCircuit = "PROXY TCP6 fc00:dead:beef:4dad::0:2a ::1 42 80\r\n"

// meteredSocket runs the http part of "hoster serve --pay-to …" in a real
// Caddy and returns its socket.
func meteredSocket(t *testing.T) string {
	t.Helper()
	dataDir, err := os.MkdirTemp("", "tp") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	return runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "1MB", round: "10MB",
	}})
}

// TestServeBoundsOversizedRequests: a header past the limit is refused with
// 431; a body past the payment or attention endpoint's limit with 413,
// whether its Content-Length says so or it only turns out too long.
func TestServeBoundsOversizedRequests(t *testing.T) {
	sock := meteredSocket(t)
	big := strings.Repeat("a", 64<<10)
	tests := []struct {
		name    string
		request string
		body    int // bytes of body sent after the request (streamed)
		want    int
	}{
		{"header of 64 KiB", "GET /about.html HTTP/1.1\r\nHost: x.onion\r\nX-Big: " + big + "\r\n\r\n", 0, http.StatusRequestHeaderFieldsTooLarge},
		{"many headers", "GET /about.html HTTP/1.1\r\nHost: x.onion\r\n" + strings.Repeat("X-A: b\r\n", 4000) + "\r\n", 0, http.StatusRequestHeaderFieldsTooLarge},
		{"payment form of 1 MB", "POST /.well-known/torplus/pay HTTP/1.1\r\nHost: x.onion\r\n" +
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n", 1_000_000, http.StatusRequestEntityTooLarge},
		{"chunked payment form past the limit", "POST /.well-known/torplus/pay HTTP/1.1\r\nHost: x.onion\r\n" +
			"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"10000\r\nxdr=" + strings.Repeat("A", 0x10000-4) + "\r\n0\r\n\r\n", 0, http.StatusRequestEntityTooLarge},
		{"attention report of 1 MB", "POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\n" +
			"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n", 1_000_000, http.StatusRequestEntityTooLarge},
		{"chunked attention report past the limit", "POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\n" +
			"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"4000\r\n{\"session\":\"" + strings.Repeat("s", 0x4000-12) + "\r\n0\r\n\r\n", 0, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := exchangeWithBody(sock, testCircuit+tt.request, tt.body)
			if err != nil || status != tt.want {
				t.Fatalf("status %d (%v), want %d", status, err, tt.want)
			}
		})
	}
	// The same endpoints still answer requests of a sane size.
	report := `{"session":"bounds-test-session-01","path":"/about.html","visible_ms":0}`
	req := "POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(report)) + "\r\n\r\n" + report
	if status, err := exchangeWithBody(sock, testCircuit+req, 0); status != http.StatusNoContent {
		t.Fatalf("a small attention report: status %d (%v), want 204", status, err)
	}
}

// exchangeWithBody writes request, then n bytes of body from another
// goroutine (the server may answer before reading it all), and returns the
// status of the response.
func exchangeWithBody(sock, request string, n int) (int, error) {
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		if _, err := io.WriteString(conn, request); err != nil || n == 0 {
			return
		}
		_, _ = io.CopyN(conn, zeros{}, int64(n)) // fails once the server closes: fine
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// zeros is an endless reader of '0' bytes (a valid form or JSON prefix).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// TestServeCutsOffSlowloris: a client that trickles its request header, one
// short line a second, is disconnected by the server (ReadHeaderTimeout)
// without an answer, while a client that sends its request at once is
// served meanwhile. The trickle gives up, failing the test, after twice
// times the bound.
func TestServeCutsOffSlowloris(t *testing.T) {
	sock := meteredSocket(t)
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, testCircuit+"GET /about.html HTTP/1.1\r\nHost: x.onion\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { // the server's side: anything it sends, or the close
		b, err := io.ReadAll(conn)
		if len(b) > 0 {
			err = errors.New("server answered: " + strings.SplitN(string(b), "\r\n", 2)[0])
		}
		closed <- err
	}()
	start := time.Now()
	var sent int
	for cut := false; !cut; {
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("slow client: %v", err)
			}
			cut = true
		case <-time.After(time.Second):
			if time.Since(start) > 2*ReadHeaderTimeout {
				t.Fatalf("a client trickling its header for %s (%d lines) is still connected", time.Since(start).Round(time.Second), sent)
			}
			if _, err := io.WriteString(conn, "X-Slow-"+strconv.Itoa(sent)+": 1\r\n"); err == nil {
				sent++
			}
			if sent == 3 { // meanwhile, an ordinary client is served
				if status, _ := rawRequest(t, sock, testCircuit, "/about.html"); status != http.StatusOK {
					t.Fatalf("a client sending at once got %d while the slow one trickled", status)
				}
			}
		}
	}
	t.Logf("slow client cut off after %s and %d header lines (bound %s)", time.Since(start).Round(100*time.Millisecond), sent, ReadHeaderTimeout)
}

// TestServeConfigBounds: the servers "hoster serve" runs carry the bounds
// of bounds.go, and so do those of the Caddyfile docs/security.md gives
// Caddyfile users (its block is read from the document itself).
func TestServeConfigBounds(t *testing.T) {
	cfg, err := serveConfig(serveOptions{root: siteDir, dataDir: t.TempDir(), admin: "off", dashboard: "127.0.0.1:2020"})
	if err != nil {
		t.Fatal(err)
	}
	var app caddyhttp.App
	if err := json.Unmarshal(cfg.AppsRaw["http"], &app); err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "hoster serve", app.Servers, "onion", "dashboard")
	doc, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```caddyfile\n{\n\tservers {")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("docs/security.md has no ```caddyfile block of server bounds")
	}
	checkBounds(t, "docs/security.md", adaptedServers(t, "{\n\tservers {"+block+"http:// {\n\trespond \"ok\"\n}\n"))
}

// TestDeployCaddyfileBounds: deploy/base/Caddyfile sets the bounds of
// bounds.go on every server it runs (the onion socket's and the metrics
// one): the test fails when either drifts from the other.
func TestDeployCaddyfileBounds(t *testing.T) {
	text, err := os.ReadFile("../deploy/base/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TORPLUS_PAY_TO", testDestination)
	t.Setenv("TORPLUS_ASSET_ISSUER", testIssuer)
	servers := adaptedServers(t, string(text))
	if len(servers) < 2 {
		t.Fatalf("deploy/base/Caddyfile adapts to %d servers, want the onion site and the metrics one", len(servers))
	}
	checkBounds(t, "deploy/base/Caddyfile", servers)
}

// checkBounds fails t for each server (of names, or all when none is
// named) whose bounds are not those of bounds.go.
func checkBounds(t *testing.T, where string, servers map[string]*caddyhttp.Server, names ...string) {
	t.Helper()
	if len(names) == 0 {
		for name := range servers {
			names = append(names, name)
		}
	}
	want := [4]int64{int64(ReadHeaderTimeout), int64(ReadBodyIdleTimeout), int64(IdleTimeout), MaxHeaderBytes}
	for _, name := range names {
		srv := servers[name]
		if srv == nil {
			t.Fatalf("%s: no %s server", where, name)
		}
		got := [4]int64{int64(srv.ReadHeaderTimeout), int64(srv.ReadIdleTimeout), int64(srv.IdleTimeout), int64(srv.MaxHeaderBytes)}
		if got != want {
			t.Errorf("%s, server %s (%v): read_header, read_body_idle, idle, max_header_bytes = %v, want %v",
				where, name, srv.Listen, got, want)
		}
	}
}

// adaptedServers adapts a Caddyfile and returns its http servers.
func adaptedServers(t *testing.T, caddyfile string) map[string]*caddyhttp.Server {
	t.Helper()
	out, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting the Caddyfile: %v %v", err, warn)
	}
	var cfg caddy.Config
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	var app caddyhttp.App
	if err := json.Unmarshal(cfg.AppsRaw["http"], &app); err != nil {
		t.Fatal(err)
	}
	return app.Servers
}

// TestServeAdminPathsNotOnOnion: with metering and the dashboard on, the
// admin API's and the dashboard's paths asked through the onion socket
// are the site's, which has none of them: 404.
func TestServeAdminPathsNotOnOnion(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off", dashboard: freeLoopbackPort(t),
		meter: meterOptions{payTo: testDestination, assetIssuer: testIssuer, price: "1"}})
	for _, path := range []string{"/", "/config/", "/load", "/torplus/sessions", "/torplus/payment-requests", "/torplus/attention",
		"/torplus/revenue", "/torplus/dashboard", "/torplus/dashboard?format=json", "/metrics", "/debug/pprof/", "/reverse_proxy/upstreams"} {
		status, body := rawRequest(t, sock, testCircuit, path)
		want := http.StatusNotFound
		if path == "/" {
			want = http.StatusOK // the site itself
		}
		if status != want {
			t.Errorf("GET %s through the onion socket: %d, want %d (%.80s)", path, status, want, body)
		}
	}
}
