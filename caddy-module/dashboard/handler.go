package dashboard

import (
	"errors"
	"net"
	"net/http"
	"net/netip"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("torplus_dashboard", parseCaddyfile)
	httpcaddyfile.RegisterDirectiveOrder("torplus_dashboard", httpcaddyfile.Before, "respond")
}

// Handler serves the dashboard as an HTTP handler
// (http.handlers.torplus_dashboard), for a site bound to loopback. A
// person needs it: Caddy's admin listener refuses a browser's typed-in
// navigation (its cross-origin protection wants an Origin or Referer), so
// the admin route suits scripts and links, this handler suits people. It
// answers loopback clients only (403 for any other), whatever the site's
// address.
type Handler struct {
	// Site is the attention site to show (default: the only one running).
	Site string `json:"site,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.torplus_dashboard", New: func() caddy.Module { return new(Handler) }}
}

// ErrNotLoopback refuses a dashboard request from another machine.
var ErrNotLoopback = errors.New("dashboard: only for loopback clients")

// ServeHTTP serves the dashboard to loopback clients.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.Unmap().IsLoopback() {
		return caddyhttp.Error(http.StatusForbidden, ErrNotLoopback)
	}
	site := h.Site
	if v := r.URL.Query().Get("site"); v != "" {
		site = v
	}
	if err := serve(w, r, site); err != nil {
		var ae caddy.APIError
		if errors.As(err, &ae) {
			return caddyhttp.Error(ae.HTTPStatus, ae.Err)
		}
		return err
	}
	return nil
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	d := new(Handler)
	err := d.UnmarshalCaddyfile(h.Dispenser)
	return d, err
}

// UnmarshalCaddyfile sets up the handler. Syntax:
//
//	torplus_dashboard [<site>]
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() {
		h.Site = d.Val()
	}
	if d.NextArg() || d.NextBlock(0) {
		return d.ArgErr()
	}
	return nil
}

// Interface guards.
var (
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ caddyfile.Unmarshaler       = (*Handler)(nil)
)
