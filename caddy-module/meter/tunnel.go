package meter

import (
	"bufio"
	"net"
	"net/http"
)

// Upgraded connections (WebSocket and any other 101 tunnel through
// reverse_proxy) are metered like any response. reverse_proxy takes the
// client connection with http.ResponseController.Hijack, which finds
// meteredWriter's Hijack before the writer under it: the connection it
// gets back sends through the same per-chunk reservation, throttling and
// grace as Write, and is closed when grace ends. Bytes from the client to
// the upstream are not metered (as request bodies are not).

// Hijack takes over the client connection, metered.
func (w *meteredWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Flush(); err != nil { // headers written before the switch
		conn.Close()
		return nil, nil, err
	}
	w.tunnel = conn
	mc := &meteredConn{Conn: conn, w: w}
	return mc, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(mc)), nil
}

// meteredConn is a hijacked connection whose writes are metered. It
// exposes only net.Conn (and CloseWrite), so copies into it go through
// Write, never around it by sendfile or splice.
type meteredConn struct {
	net.Conn
	w *meteredWriter
}

// Write sends p through the meter; once grace is over the connection is
// closed and the write fails.
func (c *meteredConn) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err == ErrGraceOver || err == ErrFreeBudgetSpent {
		c.Conn.Close()
		c.w.cut = err
	}
	return n, err
}

// CloseWrite half-closes the connection where it can (TCP, unix sockets),
// as reverse_proxy does when the upstream ends its side.
func (c *meteredConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

var _ http.Hijacker = (*meteredWriter)(nil)
