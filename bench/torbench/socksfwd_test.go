package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tornet"
)

// socksTor starts a private Tor network (not waiting for it to bootstrap:
// tor answers SOCKS at once) and returns its client's SOCKS address.
func socksTor(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tn, err := tornet.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("a private Tor network is needed (apt-get install tor): %v", err)
	}
	t.Cleanup(tn.Stop)
	for range 100 { // bounded wait for the client's SOCKS port
		if c, err := net.DialTimeout("tcp", tn.SocksAddr, time.Second); err == nil {
			c.Close()
			return tn.SocksAddr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("tor's SOCKS port %s did not open within 10 s", tn.SocksAddr)
	return ""
}

// TestSOCKSForwarder: a browser's no-authentication SOCKS5 greeting is
// answered by the forwarder, which logs in to a real tor as the user of
// the moment and hands tor the browser's CONNECT, so tor's own answer
// comes back (here its refusal of a malformed onion address, which needs
// no circuit); a CONNECT to anything but an onion is refused (02, not
// allowed) before tor hears of it, and a greeting without the
// no-authentication method with 0xff.
func TestSOCKSForwarder(t *testing.T) {
	f, err := newSOCKSForwarder(socksTor(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetUser("visitor-1")
	exchange := func(t *testing.T, send ...[]byte) []byte {
		t.Helper()
		c, err := net.DialTimeout("tcp", f.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		var got []byte
		for _, b := range send {
			if _, err := c.Write(b); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, err := io.ReadAtLeast(c, buf, 2)
			if err != nil {
				t.Fatalf("after %x: %v", b, err)
			}
			got = append(got, buf[:n]...)
		}
		return got
	}
	t.Run("browser greeting and CONNECT", func(t *testing.T) {
		host := "not-an-onion-address.onion"
		connect := append([]byte{5, 1, 0, 3, byte(len(host))}, host...)
		connect = append(connect, 0, 80)
		got := exchange(t, []byte{5, 1, 0}, connect)
		if !bytes.HasPrefix(got, []byte{5, 0, 5}) || got[3] == 0 || len(got) < 12 {
			t.Fatalf("got %x; want 05 00 (no authentication) then tor's 05 <error> reply", got)
		}
	})
	t.Run("CONNECT to a clearnet name", func(t *testing.T) {
		host := "example.com"
		connect := append([]byte{5, 1, 0, 3, byte(len(host))}, host...)
		connect = append(connect, 0, 80)
		if got := exchange(t, []byte{5, 1, 0}, connect); !bytes.HasPrefix(got, []byte{5, 0, 5, 2}) {
			t.Fatalf("got %x, want 05 00 then 05 02 (not allowed)", got)
		}
	})
	t.Run("CONNECT to an address", func(t *testing.T) {
		connect := []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 80}
		if got := exchange(t, []byte{5, 1, 0}, connect); !bytes.HasPrefix(got, []byte{5, 0, 5, 2}) {
			t.Fatalf("got %x, want 05 00 then 05 02 (not allowed)", got)
		}
	})
	t.Run("greeting without no-authentication", func(t *testing.T) {
		if got := exchange(t, []byte{5, 1, 2}); !bytes.Equal(got, []byte{5, 0xff}) {
			t.Fatalf("got %x, want 05 ff", got)
		}
	})
}
