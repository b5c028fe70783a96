// Package horizonsim is a simulated Horizon server over real HTTP on
// 127.0.0.1, backed by a simledger.Ledger, for tests that drive the real
// SDK client (horizonclient) against a ledger that enforces signatures,
// sequence numbers, time bounds, trustlines and balances like the network.
//
// It serves GET /, POST /transactions (form field tx), GET
// /transactions/{hash} and GET /accounts/{id} with Horizon's JSON shapes,
// and Horizon's problem+json errors (transaction_failed with
// extras.result_codes, transaction_malformed, not_found, timeout). Fault
// switches make it unreachable, slow, or answer with a 5xx status.
package horizonsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// Server is a running simulated Horizon.
type Server struct {
	// Ledger is the ledger the server exposes.
	Ledger *simledger.Ledger
	// URL is the base URL, "http://127.0.0.1:port/".
	URL string

	http  *http.Server
	addr  string
	delay atomic.Int64 // nanoseconds
	fail  atomic.Int32 // HTTP status to answer everything with; 0: none
	posts atomic.Int64

	mu       sync.Mutex
	listener net.Listener // nil while unreachable
	conns    map[net.Conn]struct{}
	serving  sync.WaitGroup
}

// Start serves l on a free port of 127.0.0.1. Stop it with Close.
func Start(l *simledger.Ledger) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("horizonsim: listen: %w", err)
	}
	s := &Server{Ledger: l, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	s.URL = "http://" + s.addr + "/"
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ConnState: s.track}
	s.serve(ln)
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	s.listener = ln
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		_ = s.http.Serve(ln) // returns when the listener is closed
	}()
}

func (s *Server) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

// SetUnreachable closes (true) or reopens (false) the server's port.
// While closed, connections are refused and open ones are cut, as when
// Horizon is down or the network is partitioned.
func (s *Server) SetUnreachable(down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if down {
		if s.listener == nil {
			return nil
		}
		err := s.listener.Close()
		s.listener = nil
		for c := range s.conns {
			_ = c.Close()
		}
		return err
	}
	if s.listener != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("horizonsim: reopen %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// SetDelay makes every answer wait d first. A submission is applied to
// the ledger before the wait, so a client that gives up early has still
// paid: the case of a transaction that lands after a timeout.
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// SetFailStatus makes every request answer status (e.g. 500, 503, 504)
// with a problem document and touch nothing; 0 switches it off.
func (s *Server) SetFailStatus(status int) { s.fail.Store(int32(status)) }

// Submissions counts POST /transactions requests received.
func (s *Server) Submissions() int64 { return s.posts.Load() }

// Close stops the server and cuts every connection.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.http.Close()
	}
	s.serving.Wait()
	return err
}
