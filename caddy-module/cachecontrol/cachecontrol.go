// Package cachecontrol is the torplus_cache_control HTTP handler, the
// Cache-Control policy of a static site served by `hoster serve --root`:
// a fingerprinted asset (a content hash in its file name, as bundlers name
// them) never changes under its name and is cached for a year without a
// check; everything else is revalidated on every use, so a page the owner
// edits shows at once. Only 2xx and 304 answers get the header, so a
// missing asset is never cached.
//
// It does by hand what two path_regexp routes and two deferred header
// handlers would, for one small allocation per request (no regular
// expression, no replacer).
//
// JSON (right before file_server): {"handler": "torplus_cache_control"}
//
// Caddyfile (ordered before file_server): torplus_cache_control
package cachecontrol

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("torplus_cache_control", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		m := new(Handler)
		return m, m.UnmarshalCaddyfile(h.Dispenser)
	})
	httpcaddyfile.RegisterDirectiveOrder("torplus_cache_control", httpcaddyfile.Before, "file_server")
}

// The Cache-Control values: Immutable for fingerprinted assets,
// Revalidated for the rest.
const (
	Immutable   = "public, max-age=31536000, immutable"
	Revalidated = "no-cache"
)

// Handler sets Cache-Control on the answers of the handlers after it.
type Handler struct{}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.torplus_cache_control", New: func() caddy.Module { return new(Handler) }}
}

// ServeHTTP passes the request on with a writer that sets Cache-Control
// when the status is written. The policy follows the path the client
// asked for, which is what it caches under, not the one a rewrite made of
// it (torplus_image_copies sends "<photo>.jpg" as "<photo>.jpg.webp"; a
// rewrite of /app.js to /app.3f9a2c1b.js must not make /app.js
// immutable).
func (Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	p := r.URL.Path
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		p = orig.URL.Path
	}
	v := Revalidated
	if Fingerprinted(p) {
		v = Immutable
	}
	return next.ServeHTTP(&writer{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, value: v}, r)
}

// writer sets the header on a 2xx or 304 status; the embedded wrapper
// keeps ReadFrom (and so the meter's sendfile path) and Unwrap.
type writer struct {
	caddyhttp.ResponseWriterWrapper
	value   string
	written bool
}

var cacheControlKey = http.CanonicalHeaderKey("Cache-Control")

func (w *writer) WriteHeader(status int) {
	if !w.written && (status >= 200 && status < 300 || status == http.StatusNotModified) {
		w.Header()[cacheControlKey] = []string{w.value}
	}
	w.written = w.written || status >= 200
	w.ResponseWriterWrapper.WriteHeader(status)
}

func (w *writer) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.Write(b)
}

// Fingerprinted reports whether path names a fingerprinted asset: at least
// 8 lowercase hex digits after a dot or hyphen, right before an
// alphanumeric extension (app.3f9a2c1b.js, photo-3f9a2c1b0d.jpg).
func Fingerprinted(path string) bool {
	ext := len(path)
	for ext > 0 && isAlnum(path[ext-1]) {
		ext--
	}
	if ext == len(path) || ext == 0 || path[ext-1] != '.' {
		return false
	}
	i := ext - 1
	for i > 0 && isHex(path[i-1]) {
		i--
	}
	return ext-1-i >= 8 && i > 0 && (path[i-1] == '.' || path[i-1] == '-')
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// UnmarshalCaddyfile reads the directive, which takes no arguments.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive's name
	if d.NextArg() {
		return d.ArgErr()
	}
	if d.NextBlock(0) {
		return d.Errf("torplus_cache_control takes no options (got %q)", d.Val())
	}
	return nil
}

var (
	_ caddyhttp.MiddlewareHandler = Handler{}
	_ caddyfile.Unmarshaler       = (*Handler)(nil)
)
