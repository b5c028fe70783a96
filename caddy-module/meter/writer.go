package meter

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/torplus/torplus/caddy-module/identity"
)

// Errors a metered response's Write or ReadFrom returns when it must stop
// mid-response; the handler then aborts the connection, so a client never
// takes a cut response for a whole one.
var (
	// ErrGraceOver: the session's allowance is used up and its grace
	// period ended; the next request gets a 402.
	ErrGraceOver = errors.New("meter: allowance used up and grace period over")
	// ErrFreeBudgetSpent: the session is on its free round and the global
	// free budget is spent; the next request gets a 402 with Retry-After.
	ErrFreeBudgetSpent = errors.New("meter: global free budget spent")
)

// reserveChunk is the most bytes a response reserves from its session (and
// the free budget) at a time: the most a session's response can have in
// flight beyond what is counted.
const reserveChunk = 64 << 10

// throttleChunk is the most bytes sent per throttled write; slower rates
// use chunks of a tenth of a second's worth (at least 512 bytes).
const throttleChunk = 16 << 10

func chunkFor(rate int64) int { return int(min(max(rate/10, 512), throttleChunk)) }

// meteredWriter counts the body bytes a response sends, through Write and
// ReadFrom alike, without buffering them. Each chunk (≤ reserveChunk) is
// reserved from the session before it is sent and what was not sent is
// given back, so concurrent responses share one allowance. Within it,
// ReadFrom hands the source to the underlying writer chunk by chunk
// (keeping file_server's sendfile path); past it, every chunk is paced to
// the throttled rate.
type meteredWriter struct {
	caddyhttp.ResponseWriterWrapper
	s     *session
	h     *Handler
	ctx   context.Context // the request's: a throttled wait ends with it
	key   identity.Key    // the session's, to lease more of its allowance
	n     int64           // bytes of this response
	free  int64           // of which from the global free budget
	slept bool            // throttled at least once
	// tunnel, once the connection is hijacked (tunnel.go), is where bytes
	// go; cut is why the meter closed it.
	tunnel net.Conn
	cut    error

	// at is the time the free budget is refilled to: read from the clock
	// every clockEvery free chunks, as reading it costs more than the
	// rest of a reservation (a stale time only refills less).
	at     time.Time
	chunks int
}

// clockEvery is how many free chunks share one reading of the clock.
const clockEvery = 16

// grant reserves up to n bytes for the next chunk: from the session, and
// for a session on its free round from the global free budget too. 0 with
// a nil error means the session is past its allowance.
func (w *meteredWriter) grant(n int64) (g int64, fromBudget bool, err error) {
	g = w.s.reserve(n)
	if g < n && w.h.st.leasing { // leased ahead too little: lease more, then try again
		w.s.release(g, 0)
		w.h.st.lease(w.ctx, w.key, w.s, max(n, leaseChunk))
		g = w.s.reserve(n)
	}
	if g == 0 || !w.s.unpaid() {
		return g, false, nil
	}
	if w.chunks%clockEvery == 0 {
		w.at = w.h.st.now()
	}
	w.chunks++
	b := w.h.st.budget.reserve(w.at, g)
	if b < g {
		w.s.release(g-b, 0)
	}
	if b == 0 {
		return 0, false, ErrFreeBudgetSpent
	}
	return b, true, nil
}

// done ends a grant of g bytes of which sent were sent.
func (w *meteredWriter) done(g, sent int64, fromBudget bool) {
	w.s.release(g, sent)
	w.n += sent
	if fromBudget {
		w.free += sent
		w.h.st.budget.release(g - sent)
	}
}

// Write sends p chunk by chunk, each reserved first, paced once the
// session is past its allowance.
func (w *meteredWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		g, fb, err := w.grant(int64(min(len(p), reserveChunk)))
		if err != nil {
			return total, err
		}
		if g == 0 {
			n, err := w.throttledWrite(p)
			return total + n, err
		}
		n, err := w.out(p[:g])
		w.done(g, int64(n), fb)
		total += n
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}

// out writes p to the client: the response, or the hijacked connection.
func (w *meteredWriter) out(p []byte) (int, error) {
	if w.tunnel != nil {
		return w.tunnel.Write(p)
	}
	return w.ResponseWriterWrapper.Write(p)
}

// throttledWrite sends p paced to the throttled rate, shared by all of the
// session's responses, until grace ends; if a payment lands meanwhile the
// rest goes back through Write.
func (w *meteredWriter) throttledWrite(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		now := w.h.st.now().UnixNano()
		if w.s.decide(now, w.h.policy) == Refuse {
			return total, ErrGraceOver
		}
		if !w.s.over() { // paid meanwhile
			n, err := w.Write(p)
			return total + n, err
		}
		chunk := p[:min(len(p), chunkFor(w.h.policy.rate))]
		if w.s.unpaid() { // grace of a never-paid session is free bytes too
			if b := w.h.st.budget.reserve(w.h.st.now(), int64(len(chunk))); b < int64(len(chunk)) {
				w.h.st.budget.release(b)
				return total, ErrFreeBudgetSpent
			}
			w.free += int64(len(chunk))
		}
		w.slept = true
		if !w.h.st.clock().Sleep(w.ctx, w.s.book(now, int64(len(chunk)), w.h.policy.rate)) {
			return total, w.ctx.Err()
		}
		n, err := w.out(chunk)
		w.s.spend(int64(n))
		w.n += int64(n)
		total += n
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}

// ReadFrom copies src to the response. While the session has allowance it
// reserves a chunk at a time and hands that much of src to the underlying
// io.ReaderFrom (sendfile for files); once the allowance is used up the
// rest goes through throttled writes.
func (w *meteredWriter) ReadFrom(src io.Reader) (int64, error) {
	if readFromHook != nil {
		readFromHook()
	}
	outer, _ := src.(*io.LimitedReader)
	inner := src
	if outer != nil {
		inner = outer.R
	}
	var total int64
	for outer == nil || outer.N > 0 {
		want := int64(reserveChunk)
		if outer != nil {
			want = min(want, outer.N)
		}
		g, fb, err := w.grant(want)
		if err != nil {
			return total, err
		}
		if g == 0 {
			n, err := io.CopyBuffer(writerOnly{w}, src, make([]byte, throttleChunk))
			return total + n, err
		}
		lr := &io.LimitedReader{R: inner, N: g}
		n, err := w.readFromUnder(lr)
		w.done(g, n, fb)
		if outer != nil {
			outer.N -= n
		}
		total += n
		if err != nil || n < g {
			return total, err // failed, or the source ended
		}
	}
	return total, nil
}

// readFromUnder hands lr to the writer under the meter: a file under Caddy's
// IdleTimeoutWriter with sendfile (sendFileChunks), anything else through
// the underlying ReadFrom.
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
