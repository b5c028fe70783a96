package identity

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/pires/go-proxyproto"
)

// acceptThroughProxyProtocol listens on a unix socket behind the PROXY
// protocol wrapper Caddy's proxy_protocol uses, sends header on a new
// connection, and returns the accepted (wrapped) connection.
func acceptThroughProxyProtocol(t *testing.T, sock, header string) net.Conn {
	t.Helper()
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	wrapped := &proxyproto.Listener{Listener: ln}
	client, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if _, err := io.WriteString(client, header); err != nil {
		t.Fatal(err)
	}
	c, err := wrapped.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEpochOfConnection: a connection accepted on a socket carries the
// epoch NewEpoch last drew for that socket (not the PROXY header's
// addresses, which the wrapper reports), circuit n under a new epoch is
// another key, and a connection of an unannounced listener carries the
// process's epoch.
func TestEpochOfConnection(t *testing.T) {
	dir, err := os.MkdirTemp("", "tpid") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "http.sock")
	const header = "PROXY TCP6 fc00:dead:beef:4dad::0:5 ::1 5 80\r\n"

	identifyOn := func(c net.Conn) Key {
		t.Helper()
		r := httptest.NewRequest("GET", "/", nil).WithContext(WithConnCache(context.Background(), c))
		r.RemoteAddr = c.RemoteAddr().String()
		k, err := Identify(r, false)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}

	first := NewEpoch(sock)
	before := identifyOn(acceptThroughProxyProtocol(t, sock, header))
	if before != CircuitKey(first, 5) {
		t.Fatalf("circuit 5 on %s: key %v, want %v", sock, before, CircuitKey(first, 5))
	}
	os.Remove(sock)
	second := NewEpoch(sock + "/") // the same socket, written differently
	after := identifyOn(acceptThroughProxyProtocol(t, sock, header))
	if second == first || after == before || after != CircuitKey(second, 5) {
		t.Fatalf("after a new epoch circuit 5 is %v (epochs %x then %x), want %v", after, first, second, CircuitKey(second, 5))
	}

	other := filepath.Join(dir, "other.sock")
	if k := identifyOn(acceptThroughProxyProtocol(t, other, header)); k != CircuitKey(processEpoch, 5) {
		t.Fatalf("circuit 5 on a socket no tor announced: %v, want the process epoch's %v", k, CircuitKey(processEpoch, 5))
	}
}

// TestIdentifyRemovesTorPlusHeaders: whatever Identify answers, the
// session token and the PoW stamp are gone from the request after it.
func TestIdentifyRemovesTorPlusHeaders(t *testing.T) {
	tests := []struct {
		name, remote, token string
		err                 error
	}{
		{"tor client with a token", "[fc00:dead:beef:4dad::0:1c]:28", token, nil},
		{"tor client with a bad token", "[fc00:dead:beef:4dad::0:1c]:28", "nope", ErrBadToken},
		{"clearnet client refused", "192.0.2.7:4000", token, ErrClearnetDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set(SessionHeader, tt.token)
			r.Header.Set(PoWHeader, "challenge.nonce")
			r.Header.Set("X-Other", "kept")
			if _, err := Identify(r, false); !errors.Is(err, tt.err) {
				t.Fatalf("Identify: %v, want %v", err, tt.err)
			}
			if r.Header.Get(SessionHeader) != "" || r.Header.Get(PoWHeader) != "" || r.Header.Get("X-Other") != "kept" {
				t.Fatalf("headers after Identify: %v", r.Header)
			}
		})
	}
}
