package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// recordingUpstream is the owner's web server: a real Go HTTP server on
// 127.0.0.1 that keeps the request headers it got.
type recordingUpstream struct {
	addr string
	mu   sync.Mutex
	got  []http.Header
}

func startRecordingUpstream(t *testing.T) *recordingUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &recordingUpstream{addr: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.got = append(u.got, r.Header.Clone())
		u.mu.Unlock()
		w.Header().Set("ETag", `"app-v1"`)
		w.Write([]byte("owner's page"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return u
}

// TestServeUpstreamLearnsNothingOfTheVisitor: through "hoster serve
// --upstream" (metering on), a visitor on circuit 0x2a sends its session
// token, a PoW stamp and headers of its own; the owner's server gets the
// request with no TorPlus header, no X-Forwarded-For (the circuit's
// address), no Via, and no header holding the circuit's address or the
// token. The visitor's answer names no server either.
func TestServeUpstreamLearnsNothingOfTheVisitor(t *testing.T) {
	up := startRecordingUpstream(t)
	dataDir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{upstream: "http://" + up.addr, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "1MB", round: "10MB",
	}})
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name    string
		headers string
	}{
		{"circuit only", ""},
		{"session token and PoW stamp", "TorPlus-Session: " + token + "\r\nTorPlus-PoW: challenge.nonce\r\n"},
		{"forged forwarding headers", "X-Forwarded-For: 203.0.113.9\r\nVia: 1.1 elsewhere\r\ntorplus-session: " + token + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up.mu.Lock()
			up.got = nil
			up.mu.Unlock()
			status, hdr, body := rawExchange(t, sock, testCircuit,
				"GET /page HTTP/1.1\r\nHost: x.onion\r\n"+tt.headers+"Connection: close\r\n\r\n")
			if status != http.StatusOK || body != "owner's page" {
				t.Fatalf("status %d, body %q", status, body)
			}
			if hdr.Get("Server") != "" || hdr.Get("Via") != "" {
				t.Errorf("the visitor is told the server: Server %q, Via %q", hdr.Get("Server"), hdr.Get("Via"))
			}
			up.mu.Lock()
			defer up.mu.Unlock()
			if len(up.got) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(up.got))
			}
			for k, vs := range up.got[0] {
				lk := strings.ToLower(k)
				if strings.HasPrefix(lk, "torplus-") || lk == "x-forwarded-for" || lk == "via" || lk == "forwarded" {
					t.Errorf("upstream got %s: %q", k, vs)
				}
				for _, v := range vs {
					if strings.Contains(v, "fc00:dead") || strings.Contains(v, "4dad") || strings.Contains(v, token) {
						t.Errorf("upstream got the visitor's circuit or token in %s: %q", k, v)
					}
				}
			}
		})
	}
}

// TestServeUpstreamOpaqueVisitorID: an owner who asks for it (header_up
// X-TorPlus-Visitor {http.vars.torplus_visitor}) gets an opaque id per
// client: the same for one session token on two circuits, another for a
// circuit without a token (an HMAC under the process's secret: it holds
// neither the token nor the circuit).
func TestServeUpstreamOpaqueVisitorID(t *testing.T) {
	up := startRecordingUpstream(t)
	dataDir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	cfg, err := serveConfig(serveOptions{upstream: "http://" + up.addr, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "1MB", round: "10MB",
	}})
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.AppsRaw, "onion")
	var app caddyhttp.App
	if err := json.Unmarshal(cfg.AppsRaw["http"], &app); err != nil {
		t.Fatal(err)
	}
	handlers := app.Servers["onion"].Routes[0].HandlersRaw
	handlers[len(handlers)-1] = caddyconfig.JSONModuleObject(map[string]any{
		"upstreams": []map[string]string{{"dial": up.addr}},
		"headers": map[string]any{"request": map[string]any{
			"set": map[string][]string{"X-Torplus-Visitor": {"{http.vars.torplus_visitor}"}}}},
	}, "handler", "reverse_proxy", nil)
	cfg.AppsRaw["http"] = caddyconfig.JSON(app, nil)
	if err := caddy.Run(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	sock := filepath.Join(dataDir, "http.sock")

	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	visitor := func(circuit uint32, token string) string {
		t.Helper()
		up.mu.Lock()
		up.got = nil
		up.mu.Unlock()
		hdr := ""
		if token != "" {
			hdr = "TorPlus-Session: " + token + "\r\n"
		}
		proxy := fmt.Sprintf("PROXY TCP6 fc00:dead:beef:4dad::%x ::1 %d 80\r\n", circuit, circuit)
		if status, _, _ := rawExchange(t, sock, proxy, "GET /p HTTP/1.1\r\nHost: x.onion\r\n"+hdr+"Connection: close\r\n\r\n"); status != http.StatusOK {
			t.Fatalf("circuit %d: status %d", circuit, status)
		}
		up.mu.Lock()
		defer up.mu.Unlock()
		if len(up.got) != 1 {
			t.Fatalf("upstream got %d requests", len(up.got))
		}
		return up.got[0].Get("X-Torplus-Visitor")
	}
	a1, a2, b := visitor(0x11, token), visitor(0x12, token), visitor(0x13, "")
	if len(a1) != 32 || a1 != a2 || b == a1 || len(b) != 32 {
		t.Fatalf("visitor ids: token on two circuits %q, %q; a circuit alone %q", a1, a2, b)
	}
}
