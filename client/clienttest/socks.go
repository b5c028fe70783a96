// Package clienttest runs, on 127.0.0.1, the peers the paying client
// talks to in tests: a SOCKS5 proxy standing in for Tor's SocksPort, and a
// small pay-per-request site that speaks the TorPlus payment wire format and
// settles payments with stellarpay against a simulated Horizon.
package clienttest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// SOCKS is a small SOCKS5 proxy (RFC 1928, CONNECT only, with
// RFC 1929 username/password when user is set) on 127.0.0.1, standing in
// for Tor's SocksPort in these tests.
type SOCKS struct {
	ln         net.Listener
	user, pass string

	mu      sync.Mutex
	targets []string // CONNECT targets, as the client named them
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

// StartSOCKS starts a proxy; it stops when the test ends.
func StartSOCKS(t testing.TB, user, pass string) *SOCKS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SOCKS{ln: ln, user: user, pass: pass, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close() // cut kept-alive client connections
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// Addr is the proxy's host:port.
func (s *SOCKS) Addr() string { return s.ln.Addr().String() }

// Targets lists the CONNECT targets asked for, as the client named them.
func (s *SOCKS) Targets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...)
}

func (s *SOCKS) serve(c net.Conn) {
	defer c.Close()
	if err := s.handshake(c); err != nil {
		return
	}
	target, err := readConnect(c)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.mu.Unlock()
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// handshake negotiates no authentication, or username/password.
func (s *SOCKS) handshake(c net.Conn) error {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return errors.New("not SOCKS5")
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return err
	}
	want := byte(0)
	if s.user != "" {
		want = 2
	}
	if !contains(methods, want) {
		c.Write([]byte{5, 0xff})
		return errors.New("no acceptable method")
	}
	c.Write([]byte{5, want})
	if want == 0 {
		return nil
	}
	var ver [2]byte
	if _, err := io.ReadFull(c, ver[:]); err != nil {
		return err
	}
	user := make([]byte, ver[1])
	io.ReadFull(c, user)
	var plen [1]byte
	io.ReadFull(c, plen[:])
	pass := make([]byte, plen[0])
	if _, err := io.ReadFull(c, pass); err != nil {
		return err
	}
	if string(user) != s.user || string(pass) != s.pass {
		c.Write([]byte{1, 1})
		return errors.New("bad credentials")
	}
	c.Write([]byte{1, 0})
	return nil
}

func readConnect(c net.Conn) (string, error) {
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != 5 || req[1] != 1 {
		return "", errors.New("not a CONNECT")
	}
	var host string
	switch req[3] {
	case 1:
		var ip [4]byte
		io.ReadFull(c, ip[:])
		host = net.IP(ip[:]).String()
	case 3:
		var n [1]byte
		io.ReadFull(c, n[:])
		name := make([]byte, n[0])
		io.ReadFull(c, name)
		host = string(name)
	default:
		return "", errors.New("unsupported address type")
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))), nil
}

func contains(b []byte, x byte) bool {
	for _, v := range b {
		if v == x {
			return true
		}
	}
	return false
}
