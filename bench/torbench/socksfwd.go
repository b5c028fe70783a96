package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// errSOCKS is returned for a SOCKS5 exchange that is not what the
// forwarder expects (a browser offering no "no auth" method, tor refusing
// the user name).
var errSOCKS = errors.New("socks5")

// socksForwarder is a loopback SOCKS5 server in front of tor's SOCKS port
// that logs every connection in with the user name of the moment. Chromium
// cannot give a SOCKS user name, and tor (IsolateSOCKSAuth) puts each user
// name on a circuit of its own: setting a new name before a page load gives
// that load a fresh circuit, keeping it gives the same circuit.
type socksForwarder struct {
	ln   net.Listener
	tor  string // tor's SOCKS address
	mu   sync.Mutex
	user string
	wg   sync.WaitGroup
}

// newSOCKSForwarder listens on a free loopback port and forwards to tor.
func newSOCKSForwarder(tor string) (*socksForwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &socksForwarder{ln: ln, tor: tor, user: "pageload"}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// Addr is the forwarder's host:port, for Chromium's --proxy-server.
func (f *socksForwarder) Addr() string { return f.ln.Addr().String() }

// SetUser sets the SOCKS user name of connections made from now on.
func (f *socksForwarder) SetUser(u string) {
	f.mu.Lock()
	f.user = u
	f.mu.Unlock()
}

func (f *socksForwarder) currentUser() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.user
}

// Close stops accepting; connections under way end with their peers.
func (f *socksForwarder) Close() error {
	err := f.ln.Close()
	f.wg.Wait()
	return err
}

func (f *socksForwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			if err := f.forward(c, f.currentUser()); err != nil {
				if os.Getenv("TORBENCH_DEBUG") != "" {
					fmt.Fprintln(os.Stderr, "socks forwarder:", err)
				}
				c.Close()
			}
		}()
	}
}

// forward answers the browser's greeting with "no authentication", logs in
// to tor as user, hands tor the browser's CONNECT request unchanged, and
// then copies both ways (tor's reply to the CONNECT included).
func (f *socksForwarder) forward(c net.Conn, user string) error {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return err
	}
	if hdr[0] != 5 || bytes.IndexByte(methods, 0) < 0 {
		c.Write([]byte{5, 0xff})
		return fmt.Errorf("%w: greeting %x %x", errSOCKS, hdr, methods)
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return err
	}
	t, err := net.DialTimeout("tcp", f.tor, 10*time.Second)
	if err != nil {
		return err
	}
	t.SetDeadline(time.Now().Add(30 * time.Second))
	// one message at a time, each answer read before the next is sent
	// (as golang.org/x/net/proxy does; tor does not read ahead)
	auth := append([]byte{1, byte(len(user))}, user...)
	for _, step := range []struct{ send, want []byte }{
		{[]byte{5, 1, 2}, []byte{5, 2}},
		{append(auth, 1, 'x'), []byte{1, 0}},
	} {
		got := make([]byte, 2)
		if _, err := t.Write(step.send); err != nil {
			t.Close()
			return err
		}
		if _, err := io.ReadFull(t, got); err != nil || !bytes.Equal(got, step.want) {
			t.Close()
			return fmt.Errorf("%w: tor answered %x with %x (%v)", errSOCKS, step.send[:1], got, err)
		}
	}
	c.SetDeadline(time.Time{})
	t.SetDeadline(time.Time{})
	if os.Getenv("TORBENCH_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, "socks forwarder: connection as", user)
	}
	go func() {
		io.Copy(t, c)
		t.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(c, t)
	c.Close()
	t.Close()
	return nil
}
