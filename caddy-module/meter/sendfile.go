package meter

import (
	"io"
	"net/http"
	"os"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Zero copy under Caddy's IdleTimeoutWriter.
//
// Caddy wraps every HTTP/1 response in a caddyhttp.IdleTimeoutWriter, whose
// ReadFrom hands the connection io.LimitReader(src, MaxChunk). file_server's
// source is already an *io.LimitedReader over the *os.File (http.ServeContent
// uses io.CopyN), so the connection's ReadFrom receives a LimitedReader of a
// LimitedReader, which net's sendfile does not unwrap: every file is copied
// through user space. sendFileChunks does the IdleTimeoutWriter's work for a
// file instead, chunk by chunk, each chunk a fileChunk, which goes out with
// sendfile whether the connection is TCP or the unix socket tor uses.

// idleWriterFor returns the IdleTimeoutWriter directly under the meter when
// sendFileChunks can stand in for its ReadFrom with the same deadlines:
// HTTP/1 (deadlines stay armed between writes) and no minimum rate (the
// deadline is now + timeout, reset by FlushError before each chunk). Any
// other writer under the meter (an encoder, a recorder) must see the bytes
// itself, so it gets them through its own ReadFrom.
func idleWriterFor(w http.ResponseWriter) *caddyhttp.IdleTimeoutWriter {
	itw, ok := w.(*caddyhttp.IdleTimeoutWriter)
	if !ok || itw.ResponseWriterWrapper == nil || itw.ClearBetweenWrites || itw.Deadline.MinRate != 0 {
		return nil
	}
	return itw
}

// contentType is the canonical Content-Type header key.
var contentType = http.CanonicalHeaderKey("Content-Type")

// sendFileChunks sends lr (an *io.LimitedReader over f) through itw the way
// itw.ReadFrom does, in chunks of at most itw's MaxChunk bytes with the idle
// deadline reset before each, but hands each chunk to the writer under itw
// as a fileChunk, which net/http's copy sends with sendfile. It
// updates lr.N and returns the bytes sent. handled is false when it did
// nothing (no Content-Type key yet: net/http would sniff the first bytes,
// which only the ordinary path gives it).
func sendFileChunks(itw *caddyhttp.IdleTimeoutWriter, f *os.File, lr *io.LimitedReader) (n int64, err error, handled bool) {
	if _, typed := itw.Header()[contentType]; !typed { // as net/http tells (Caddy sets it nil to forbid sniffing)
		return 0, nil, false
	}
	chunk := int64(itw.MaxChunk)
	if chunk <= 0 {
		chunk = caddyhttp.DefaultMaxWriteChunk
	}
	piece := &fileChunk{f: f}
	for lr.N > 0 {
		// FlushError resets the idle write deadline (as itw.ReadFrom does
		// before every chunk) and commits the header; with nothing
		// buffered it makes no system call.
		if err := itw.FlushError(); err != nil {
			return n, err, true
		}
		piece.n = min(lr.N, chunk)
		want := piece.n
		m, err := itw.ResponseWriterWrapper.ReadFrom(piece)
		n += m
		lr.N -= m
		if err != nil || m < want {
			return n, err, true
		}
	}
	return n, nil, true
}
