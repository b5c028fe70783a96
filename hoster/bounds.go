package main

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Bounds on what one client can hold of a server that "hoster serve" runs.
// These constants are the one source of the values: deploy/base/Caddyfile
// and the Caddyfile block of docs/security.md write them as server options,
// and TestDeployCaddyfileBounds and TestServeConfigBounds fail when either
// differs from them. Over tor a request's header arrives in a cell or two,
// well within these.
const (
	// ReadHeaderTimeout cuts off a client that has not sent its whole
	// request header in this time (slowloris).
	ReadHeaderTimeout = 15 * time.Second
	// ReadBodyIdleTimeout cuts off an upload that stalls this long.
	ReadBodyIdleTimeout = 30 * time.Second
	// IdleTimeout closes a kept-alive connection with no request this long.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes is the largest request header read; a larger one is
	// answered 431 (net/http allows 4 KiB of slack over it).
	MaxHeaderBytes = 16 << 10
)

// bound applies the bounds to srv. The payment and attention endpoints
// bound their bodies themselves (413 past a few KiB).
func bound(srv *caddyhttp.Server) *caddyhttp.Server {
	srv.ReadHeaderTimeout = caddy.Duration(ReadHeaderTimeout)
	srv.ReadIdleTimeout = caddy.Duration(ReadBodyIdleTimeout)
	srv.IdleTimeout = caddy.Duration(IdleTimeout)
	srv.MaxHeaderBytes = MaxHeaderBytes
	return srv
}
