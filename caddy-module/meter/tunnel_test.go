package meter

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// upgradeUpstream starts a plain Go server that answers every request with
// a 101 switch (as a WebSocket server does) and then streams n bytes down
// the tunnel before closing it.
func upgradeUpstream(t *testing.T, n int) string {
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

// tunnel opens an upgraded connection to path through the site on circuit
// as tor would, and returns the status and the bytes the tunnel carried
// until it closed (or wait passed).
func tunnel(t *testing.T, addr string, circuit uint32, path string, wait time.Duration) (int, int64) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	fmt.Fprintf(conn, "PROXY TCP6 %s ::1 %d 80\r\nGET %s HTTP/1.1\r\nHost: x.onion\r\nConnection: Upgrade\r\nUpgrade: torplus-test\r\n\r\n",
		circuitAddr(circuit), circuit&0xffff, path)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, 0
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return resp.StatusCode, 0
	}
	n, _ := io.Copy(io.Discard, br)
	return resp.StatusCode, n
}

// TestUpgradeTunnelsMetered: a 101 tunnel through reverse_proxy is counted
// and closed at the allowance, alone or several in parallel on one
// circuit; with upgrades refused, no tunnel opens.
func TestUpgradeTunnelsMetered(t *testing.T) {
	const free = 200_000
	up := upgradeUpstream(t, 4<<20)
	site := startSite(t, map[string]map[string]any{
		"ws":     {"free_round": free, "grace": "-1ns"},
		"nows":   {"free_round": free, "upgrades": "refuse"},
		"wsfree": {"free_round": free, "grace": "-1ns"},
	}, up)
	t.Run("one tunnel", func(t *testing.T) {
		status, n := tunnel(t, site.ports["ws"], 9501, "/proxy/ws", 10*time.Second)
		if status != 101 || n > free || n == 0 {
			t.Fatalf("tunnel: status %d, carried %d bytes; allowance %d", status, n, free)
		}
		if got := site.servedTo("ws", circuitKey(9501), n); got < n || got > free {
			t.Fatalf("counted %d bytes, tunnel carried %d", got, n)
		}
	})
	t.Run("parallel tunnels of one circuit", func(t *testing.T) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int64
		)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, n := tunnel(t, site.ports["wsfree"], 9502, "/proxy/ws", 10*time.Second)
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total > free {
			t.Fatalf("6 tunnels carried %d bytes; allowance %d", total, free)
		}
	})
	t.Run("upgrades refused", func(t *testing.T) {
		if status, n := tunnel(t, site.ports["nows"], 9503, "/proxy/ws", 10*time.Second); status != 403 || n != 0 {
			t.Fatalf("upgrade with upgrades refuse: status %d, %d bytes; want 403", status, n)
		}
	})
}
