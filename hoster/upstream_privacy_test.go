package main

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
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
