// Package upgradetest is the real peer of tests of upgraded connections
// (WebSocket and other 101 tunnels): a plain Go upstream that switches
// protocols and streams bytes down the tunnel, and a client that opens a
// tunnel through a site the way tor delivers it (a PROXY line first).
package upgradetest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Upstream starts a server on 127.0.0.1 that answers every request with a
// 101 switch (as a WebSocket server does), then streams n bytes down the
// tunnel and closes it; it stops with the test. It returns its address.
func Upstream(t testing.TB, n int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: torplus-test\r\nConnection: Upgrade\r\n\r\n")
		chunk := bytes.Repeat([]byte("w"), 16<<10)
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := brw.Write(chunk[:min(len(chunk), n-sent)]); err != nil || brw.Flush() != nil {
				return
			}
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// Open connects to addr, sends proxyLine (a PROXY v1 header, as tor sends
// it; may be empty) and an upgrade request for path, and returns the
// response's status and the bytes the tunnel carried until it closed or
// wait passed (0 unless the status is 101).
func Open(t testing.TB, addr, proxyLine, path string, wait time.Duration) (status int, n int64) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(conn, proxyLine+"GET "+path+
		" HTTP/1.1\r\nHost: x.onion\r\nConnection: Upgrade\r\nUpgrade: torplus-test\r\n\r\n"); err != nil {
		return 0, 0
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, 0
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return resp.StatusCode, 0
	}
	n, _ = io.Copy(io.Discard, br)
	return resp.StatusCode, n
}
