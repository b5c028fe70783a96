package privacy

import (
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Response headers that name the server software or a file's mtime: each
// is the same on a clearnet copy of the site, so none is sent. (Caddy's
// server sets Server before any handler runs; reverse_proxy adds Via.)
var hidden = []string{"Server", "Via", "Last-Modified", "X-Powered-By"}

// etagKey is the ETag header in canonical form.
var etagKey = http.CanonicalHeaderKey("ETag")

// responseWriter scrubs a response's header as it is written: it drops the
// hidden headers and seals the ETag. Nothing else passes through it but
// the call, so a body (sendfile included) goes on as it came.
type responseWriter struct {
	caddyhttp.ResponseWriterWrapper
	s       *sealer
	written bool // a final (non-1xx) status has gone out
}

// scrub fixes the header before it goes out.
func (w *responseWriter) scrub() {
	h := w.Header()
	for _, k := range hidden {
		delete(h, k)
	}
	if tags := h[etagKey]; len(tags) > 0 {
		if sealed := w.s.seal(tags[0]); sealed != "" {
			h[etagKey] = []string{sealed}
		} else {
			delete(h, etagKey)
		}
	}
}

// WriteHeader scrubs the header and sends it.
func (w *responseWriter) WriteHeader(code int) {
	if !w.written {
		w.scrub()
		w.written = code >= 200 || code == http.StatusSwitchingProtocols
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sends the header first if no one did.
func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom sends the header first if no one did, then hands r on as it is
// (an *os.File chunk goes out with sendfile).
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.ReadFrom(r)
}

// under is the wrapper put under an IdleTimeoutWriter: its new inner
// ResponseWriterWrapper and the scrubbing writer, in one allocation.
type under struct {
	outer caddyhttp.ResponseWriterWrapper
	inner responseWriter
}

// underneath returns w with the scrubbing writer at the bottom of the
// chain. Caddy wraps each response in an IdleTimeoutWriter, and the meter's
// zero-copy path needs that writer directly under it: so where there is
// one, the scrubbing writer goes under it (its inner writer is replaced)
// and w is returned as it is; elsewhere it wraps w.
func underneath(w http.ResponseWriter, s *sealer) http.ResponseWriter {
	if itw, ok := w.(*caddyhttp.IdleTimeoutWriter); ok && itw.ResponseWriterWrapper != nil {
		u := &under{inner: responseWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: itw.ResponseWriter}, s: s}}
		u.outer.ResponseWriter = &u.inner
		itw.ResponseWriterWrapper = &u.outer
		return w
	}
	return &responseWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, s: s}
}
