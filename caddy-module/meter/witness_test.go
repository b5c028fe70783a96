package meter

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// witness is a TCP relay on 127.0.0.1 in front of a server, which notes
// for every connection it relays whether this test process dialed it:
// how a test proves the hoster's Stellar traffic came out of tor's exit
// rather than straight from the hoster (both connect from 127.0.0.1).
type witness struct {
	URL string
	ln  net.Listener

	mu     sync.Mutex
	conns  int
	direct []string // remote addresses of connections this process dialed
}

// startWitness relays connections to target (host:port); URL is
// "http://" + its address.
func startWitness(t *testing.T, target string) *witness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &witness{URL: "http://" + ln.Addr().String(), ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.note(c.RemoteAddr().(*net.TCPAddr))
			go relay(c, target)
		}
	}()
	return w
}

func relay(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c) }()
	_, _ = io.Copy(c, up)
}

// note records a connection, and whether the socket at its far end is
// one of this process's (Linux: /proc/net/tcp and /proc/self/fd).
func (w *witness) note(remote *net.TCPAddr) {
	ours := ownsLocalPort(remote.Port, w.ln.Addr().(*net.TCPAddr).Port)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns++
	if ours {
		w.direct = append(w.direct, remote.String())
	}
}

// seen returns how many connections were relayed, and those this process dialed.
func (w *witness) seen() (int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conns, append([]string(nil), w.direct...)
}

// ownsLocalPort reports whether this process holds the TCP socket from
// local port lport to remote port rport on 127.0.0.1.
func ownsLocalPort(lport, rport int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return true // cannot tell: count it as direct, so the test fails loudly
	}
	want := fmt.Sprintf("0100007F:%04X 0100007F:%04X", lport, rport)
	inode := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 9 && strings.Join(f[1:3], " ") == want {
			inode = f[9]
		}
	}
	if inode == "" {
		return true
	}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == "socket:["+inode+"]" {
			return true
		}
	}
	return false
}
