package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// socketFetch sends a GET for path over the serve socket as tor does (a
// PROXY line naming the circuit first), with a session token if given, and
// returns the status and the body bytes that arrived within wait.
func socketFetch(t *testing.T, sock string, circuit uint32, token, path string, wait time.Duration) (int, int64) {
	t.Helper()
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(wait))
	req := fmt.Sprintf("PROXY TCP6 fc00:dead:beef:4dad::%x:%x ::1 %d 80\r\nGET %s HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n",
		circuit>>16, circuit&0xffff, circuit&0xffff, path)
	if token != "" {
		req += "TorPlus-Session: " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return 0, 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, 0
	}
	return resp.StatusCode, n
}

// TestServeSocketAllowanceHolds attacks `hoster serve`'s metering over its
// unix socket, as tor streams arrive: parallel streams of one circuit, and
// a fresh session token per request on one circuit. Past the free round
// the session is throttled (grace), so what arrives beyond it is bounded
// by the throttled rate over the test's own time, never a round per stream.
func TestServeSocketAllowanceHolds(t *testing.T) {
	root := t.TempDir()
	big := make([]byte, 4<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(root, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir, err := os.MkdirTemp("", "torplus-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	const free = 1_000_000
	sock := runServeConfig(t, serveOptions{root: root, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "1MB", round: "10MB",
	}})
	const (
		streams   = 8
		wait      = 3 * time.Second
		throttled = 20_000 // bytes per second (meter.DefaultThrottleRate)
	)
	tests := []struct {
		name    string
		circuit uint32
		token   func() string
	}{
		{"parallel streams of one circuit", 0x51, func() string { return "" }},
		{"a fresh token per stream", 0x52, func() string {
			b := make([]byte, 32)
			rand.Read(b)
			return base64.RawURLEncoding.EncodeToString(b)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				total int64
			)
			start := time.Now()
			for range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, n := socketFetch(t, sock, tt.circuit, tt.token(), "/big.bin", wait)
					mu.Lock()
					total += n
					mu.Unlock()
				}()
			}
			wg.Wait()
			// Throttled bytes: the session's one rate over the elapsed time,
			// plus one throttled write (≤ 16 KiB) per stream.
			bound := free + int64(time.Since(start).Seconds()*throttled) + streams*16<<10
			if total > bound {
				t.Fatalf("%d streams got %d bytes; free round %d, bound with grace %d", streams, total, free, bound)
			}
		})
	}
}
