package identity

import (
	"crypto/rand"
	"encoding/binary"
	"net"
	"path/filepath"
	"sync"
)

// Tor numbers circuits from 1 in every tor process, and every replica's tor
// counts on its own, so a circuit id alone names a different visitor after
// each tor start. An Epoch names one run of one tor: circuit keys carry it,
// so circuit 5 of a new tor is a stranger to circuit 5 of the old one, and
// a session of an earlier epoch is never loaded for a new circuit.
//
// The onion app calls NewEpoch for its socket each time it starts tor;
// connections accepted on that socket afterwards carry the new epoch. A
// listener no tor announced (a TCP port, or a tor this process does not
// run) carries the epoch of this process, drawn at random when it starts:
// a restart of the process, which restarts its tor, also starts afresh.

// Epoch names one run of the tor that forwards to a listener. It is random
// (64 bits), so two replicas' tors, or two runs of one, never share one.
type Epoch uint64

// epochs maps a listener (the clean path of a unix socket, or the address
// of another listener) to the Epoch of the tor now forwarding to it.
var epochs sync.Map // string → Epoch

// processEpoch is the epoch of listeners no tor announced.
var processEpoch = randomEpoch()

// NewEpoch draws a new epoch for the listener at addr (a unix socket's path,
// as in the onion app's SocketPath, or "host:port") and returns it. The
// onion app calls it before each start of tor, so that no connection of the
// new tor is taken for one of the old.
func NewEpoch(addr string) Epoch {
	e := randomEpoch()
	epochs.Store(listenerKey(addr), e)
	return e
}

// EpochOf returns the epoch of the tor now forwarding to the listener at
// addr: the one NewEpoch last drew for it, else this process's own.
func EpochOf(addr string) Epoch {
	if e, ok := epochs.Load(listenerKey(addr)); ok {
		return e.(Epoch)
	}
	return processEpoch
}

// connEpoch returns the epoch of the listener that accepted c. Listener
// wrappers (Caddy's proxy_protocol) report the PROXY header's addresses, so
// c is unwrapped to the accepted socket first; its local address is never
// read from the wrapper, which would wait for the header.
func connEpoch(c net.Conn) Epoch {
	for i := 0; c != nil && i < 8; i++ {
		raw, ok := c.(interface{ Raw() net.Conn })
		if !ok {
			if la := c.LocalAddr(); la != nil {
				return EpochOf(la.String())
			}
			break
		}
		c = raw.Raw()
	}
	return processEpoch
}

// listenerKey is the registry key of a listener address: a socket path is
// cleaned so that "/a//b.sock" and "/a/b.sock" are one listener.
func listenerKey(addr string) string {
	if filepath.IsAbs(addr) {
		return filepath.Clean(addr)
	}
	return addr
}

// randomEpoch draws a non-zero epoch (zero is left to keys made without one).
func randomEpoch() Epoch {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return Epoch(max(binary.BigEndian.Uint64(b[:]), 1))
}
