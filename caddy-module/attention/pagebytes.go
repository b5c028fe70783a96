package attention

import (
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// servePage passes r to next and, when r asks for a page and its client is
// in a paid round, counts the bytes of the response: a payment whose
// session sent no attention reports (no script, a blocked beacon) is split
// by the bytes of the pages it was sent instead.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Method != http.MethodGet {
		return next.ServeHTTP(w, r)
	}
	page, err := CleanPath(r.URL.Path)
	if err != nil || !h.pages.Maybe(page) {
		return next.ServeHTTP(w, r)
	}
	_, served, err := h.client(r)
	if err != nil || !served.Paid {
		return next.ServeHTTP(w, r)
	}
	cw := &countingWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err = next.ServeHTTP(cw, r)
	if cw.n > 0 && cw.status/100 == 2 {
		h.site.Recorder.AddBytes(PageRound{Site: h.Site, Session: served.Session(), Round: served.Round, Path: page, Bytes: cw.n})
	}
	return err
}

// countingWriter counts the body bytes written through it and keeps the
// writer under it (the meter's) reachable for sendfile through ReadFrom.
type countingWriter struct {
	caddyhttp.ResponseWriterWrapper
	n      int64
	status int
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriterWrapper.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriterWrapper.Write(b)
	c.n += int64(n)
	return n, err
}

// ReadFrom keeps the zero-copy path of the writers under it.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriterWrapper.ReadFrom(r)
	c.n += n
	return n, err
}
