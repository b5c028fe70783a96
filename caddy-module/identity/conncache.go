package identity

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// A client's remote address cannot change within one connection, yet
// net/http hands it to every request as text, and parsing an IPv6 address
// per request costs a few percent of a small file's response. A connCache
// keeps, per connection, the text last parsed and the address it gave.

// connCacheKey is the context key of a connection's connCache.
type connCacheKey struct{}

// connCache is one connection's parsed remote address, and the epoch of
// the tor that opened it (fixed when the connection is accepted: a tor that
// restarts opens new connections). HTTP/2 serves a connection's streams
// concurrently, hence the atomic pointer.
type connCache struct {
	last  atomic.Pointer[parsedAddr]
	epoch Epoch
}

// parsedAddr is a remote address's text and what remoteIP made of it.
type parsedAddr struct {
	remote string
	addr   netip.Addr
	ok     bool
}

// WithConnCache returns ctx with an empty per-connection cache of the
// parsed remote address, which Identify then uses for every request on the
// connection, and the Epoch of the listener that accepted c, which circuit
// keys of the connection carry. It has the signature of
// http.Server.ConnContext, so a Caddy handler can register it with
// caddyhttp.Server.RegisterConnContext. It parses nothing itself (the PROXY
// header may not have arrived yet), and a ctx that already has a cache is
// returned as it is.
func WithConnCache(ctx context.Context, c net.Conn) context.Context {
	if _, ok := ctx.Value(connCacheKey{}).(*connCache); ok {
		return ctx
	}
	return context.WithValue(ctx, connCacheKey{}, &connCache{epoch: connEpoch(c)})
}

// requestEpoch returns the epoch of the connection r came on: the one
// WithConnCache fixed, or this process's where no cache was registered.
func requestEpoch(r *http.Request) Epoch {
	if c, _ := r.Context().Value(connCacheKey{}).(*connCache); c != nil {
		return c.epoch
	}
	return processEpoch
}

// remoteAddr returns r's remote IP address, parsed once per connection
// when r's context has a connection cache (WithConnCache), else per call.
// The cached address is used only while r.RemoteAddr is the text it was
// parsed from.
func remoteAddr(r *http.Request) (netip.Addr, bool) {
	c, _ := r.Context().Value(connCacheKey{}).(*connCache)
	if c != nil {
		if p := c.last.Load(); p != nil && p.remote == r.RemoteAddr {
			return p.addr, p.ok
		}
	}
	addr, err := remoteIP(r.RemoteAddr)
	if c != nil {
		c.last.Store(&parsedAddr{remote: r.RemoteAddr, addr: addr, ok: err == nil})
	}
	return addr, err == nil
}
