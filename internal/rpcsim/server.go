// Package rpcsim is a simulated Stellar RPC over real HTTP (JSON-RPC 2.0)
// on 127.0.0.1, backed by a simledger.Ledger, for tests and demos that
// drive the official SDKs (the Go rpcclient, the JavaScript SDK's
// rpc.Server and contract.AssembledTransaction, the @x402/stellar client)
// against a ledger that enforces what the network enforces.
//
// It answers getHealth, getNetwork, getLatestLedger, getLedgerEntries
// (accounts, trustlines, contract instances, contract data),
// simulateTransaction (SAC transfer and balance, with the call's token
// events as diagnostic events), sendTransaction,
// getTransaction and getEvents, in the shapes of
// go-stellar-sdk/protocols/rpc. Transactions accepted by sendTransaction
// wait in a queue until the next ledger closes; ledgers close on a clock
// (DefaultClose, settable) or when a test calls CloseLedger.
//
// Simplifications, each on the safe side: one queued transaction per
// source account (a second answers TRY_AGAIN_LATER), no fee surge, no
// ledger retention window (every ledger since the start is kept).
package rpcsim

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// DefaultClose is the ledger close interval, as on the network.
const DefaultClose = 5 * time.Second

// ProtocolVersion is the protocol the simulated network reports (CAP-67
// unified events arrived with 23).
const ProtocolVersion = 23

// Options tune a Server.
type Options struct {
	// Close is the ledger close interval; DefaultClose when zero, and
	// negative for no clock (ledgers close only on CloseLedger).
	Close time.Duration
	// FriendbotURL, if set, is reported by getNetwork.
	FriendbotURL string
	// TLS serves https with a self-signed certificate for 127.0.0.1
	// (Server.CertPEM) instead of plain http.
	TLS bool
	// Retention is how many ledgers the server keeps, as an RPC's
	// retention window (a week on SDF's, a day or less on some providers):
	// getEvents, getHealth and getTransaction see only the latest
	// Retention ledgers, and a getEvents start or cursor before them is
	// refused as the real RPC refuses it. Zero keeps every ledger.
	Retention uint32
}

// Server is a running simulated Stellar RPC.
type Server struct {
	// Ledger is the ledger the server exposes.
	Ledger *simledger.Ledger
	// URL is the JSON-RPC endpoint, "http://127.0.0.1:port/" (https with
	// Options.TLS).
	URL string
	// CertPEM is the server's self-signed certificate with Options.TLS.
	CertPEM []byte

	opts  Options
	http  *http.Server
	ln    net.Listener
	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup

	mu     sync.Mutex
	queue  []queued
	closed map[uint32]time.Time // close time of every ledger since start
	oldest uint32
}

// queued is a transaction waiting for the next ledger close.
type queued struct {
	b64, hash, source string
}

// Start serves l on a free port of 127.0.0.1. Stop it with Close.
func Start(l *simledger.Ledger, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("rpcsim: listen: %w", err)
	}
	if opts.Close == 0 {
		opts.Close = DefaultClose
	}
	now := time.Now()
	s := &Server{Ledger: l, URL: "http://" + ln.Addr().String() + "/", opts: opts, ln: ln, start: now,
		stop: make(chan struct{}), closed: map[uint32]time.Time{l.Number(): now}, oldest: l.Number()}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	if opts.TLS {
		cert, pemBytes, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("rpcsim: certificate: %w", err)
		}
		s.CertPEM, s.URL = pemBytes, "https://"+ln.Addr().String()+"/"
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		_ = s.http.Serve(ln) // returns when Close closes the listener
	}()
	if opts.Close > 0 {
		s.done.Add(1)
		go s.clock(opts.Close)
	}
	return s, nil
}

// clock closes a ledger every interval until Close.
func (s *Server) clock(interval time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.CloseLedger()
		}
	}
}

// CloseLedger closes one ledger now, applying the queued transactions in
// the order they arrived, and returns its number.
func (s *Server) CloseLedger() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	envs := make([]string, len(s.queue))
	for i, q := range s.queue {
		envs[i] = q.b64
	}
	s.queue = nil
	s.Ledger.Close(envs)
	n := s.Ledger.Number()
	s.closed[n] = time.Now()
	return n
}

// Close stops the clock and the HTTP server.
func (s *Server) Close() error {
	close(s.stop)
	err := s.http.Close()
	s.done.Wait()
	return err
}

// latest returns the last closed ledger and its close time.
func (s *Server) latest() (uint32, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.Ledger.Number()
	return n, s.closeTime(n)
}

// oldestLedger is the oldest ledger still retained when n is the latest
// (s.mu held).
func (s *Server) oldestLedger(n uint32) uint32 {
	if r := s.opts.Retention; r > 0 && n >= r && n-r+1 > s.oldest {
		return n - r + 1
	}
	return s.oldest
}

// closeTime of ledger n (s.mu held); ledgers closed by Submit outside the
// server's clock report the latest known time.
func (s *Server) closeTime(n uint32) time.Time {
	if t, ok := s.closed[n]; ok {
		return t
	}
	best := s.start
	for k, t := range s.closed {
		if k <= n && t.After(best) {
			best = t
		}
	}
	return best
}

// ledgerHash is the simulated ledger's header hash: stable per number.
func ledgerHash(n uint32) [32]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return sha256.Sum256(append([]byte("rpcsim ledger "), b[:]...))
}
