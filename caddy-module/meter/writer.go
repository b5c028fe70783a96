package meter

import (
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// ErrGraceOver is returned by a metered response's Write once its session's
// grace period ends mid-response: the connection is cut, and the next
// request gets a 402.
var ErrGraceOver = errors.New("meter: allowance used up and grace period over")

// throttleChunk is the most bytes sent per throttled write; slower rates
// use chunks of a tenth of a second's worth (at least 512 bytes).
const throttleChunk = 16 << 10

func chunkFor(rate int64) int { return int(min(max(rate/10, 512), throttleChunk)) }

// meteredWriter counts the body bytes a response sends, through Write and
// ReadFrom alike, without buffering them. While the session is within its
// allowance, ReadFrom hands the source to the underlying writer (keeping
// file_server's sendfile path), limited to the bytes left; past the
// allowance every write is paced to the throttled rate.
type meteredWriter struct {
	caddyhttp.ResponseWriterWrapper
	s     *session
	h     *Handler
	n     int64 // bytes of this response
	slept bool  // throttled at least once
}

func (w *meteredWriter) add(n int) {
	if n > 0 {
		w.n += int64(n)
		w.s.served.Add(int64(n))
	}
}

// Write sends p, paced if the session is past its allowance.
func (w *meteredWriter) Write(p []byte) (int, error) {
	if !w.s.over() {
		n, err := w.ResponseWriterWrapper.Write(p)
		w.add(n)
		return n, err
	}
	return w.throttledWrite(p)
}

func (w *meteredWriter) throttledWrite(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		now := w.h.st.now().UnixNano()
		if w.s.decide(now, w.h.policy) == Refuse {
			return total, ErrGraceOver
		}
		if !w.s.over() { // paid meanwhile
			n, err := w.ResponseWriterWrapper.Write(p)
			w.add(n)
			return total + n, err
		}
		chunk := p[:min(len(p), chunkFor(w.h.policy.rate))]
		w.slept = true
		w.h.sleep(w.s.book(now, int64(len(chunk)), w.h.policy.rate))
		n, err := w.ResponseWriterWrapper.Write(chunk)
		w.add(n)
		total += n
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}

// ReadFrom copies src to the response. Within the allowance it delegates
// to the underlying io.ReaderFrom (sendfile for files) for at most the bytes
// left; what remains past the allowance goes through throttled writes.
func (w *meteredWriter) ReadFrom(src io.Reader) (int64, error) {
	if readFromHook != nil {
		readFromHook()
	}
	var total int64
	if left := w.s.remaining(); left > 0 {
		outer, _ := src.(*io.LimitedReader)
		var lr *io.LimitedReader
		switch {
		case outer != nil && outer.N <= left:
			lr = outer // all of it fits: hand over as is
		case outer != nil:
			lr = &io.LimitedReader{R: outer.R, N: left}
		default:
			lr = &io.LimitedReader{R: src, N: left}
		}
		want := lr.N
		n, err := w.readFromUnder(lr)
		if outer != nil && lr != outer {
			outer.N -= n
		}
		w.add(int(n))
		total += n
		if err != nil || n < want || (outer != nil && outer.N <= 0) {
			return total, err // done, failed or the source ended
		}
	}
	n, err := io.CopyBuffer(writerOnly{w}, src, make([]byte, throttleChunk))
	return total + n, err
}

// readFromUnder hands lr to the writer under the meter: a file under Caddy's
// IdleTimeoutWriter chunk by chunk with sendfile (sendFileChunks), anything
// else through the underlying ReadFrom.
func (w *meteredWriter) readFromUnder(lr *io.LimitedReader) (int64, error) {
	if f, ok := lr.R.(*os.File); ok {
		if itw := idleWriterFor(w.ResponseWriter); itw != nil {
			if n, err, handled := sendFileChunks(itw, f, lr); handled {
				return n, err
			}
		}
	}
	return w.ResponseWriterWrapper.ReadFrom(lr)
}

// readFromHook, if set (by tests), is called on every ReadFrom.
var readFromHook func()

// writerOnly hides ReadFrom so io.CopyBuffer uses Write.
type writerOnly struct{ io.Writer }

var (
	_ io.ReaderFrom       = (*meteredWriter)(nil)
	_ http.ResponseWriter = (*meteredWriter)(nil)
)
