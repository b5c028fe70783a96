package meter

import (
	"io"
	"os"
	"sync/atomic"
	"syscall"
)

// sentByFile counts the bytes sendfile has sent, over the process's life
// (tests read it to see that a real server's responses take this path).
var sentByFile atomic.Int64

// fileChunk is the next n bytes of a file, from its current offset. It
// reads like an *io.LimitedReader, and its WriteTo sends the bytes with
// sendfile(2) straight to a socket that exposes its descriptor. net/http
// hands the body to the connection's ReadFrom; a *net.TCPConn without a
// LimitedReader of a file, and every *net.UnixConn (it has no ReadFrom),
// fall back to io.Copy, which calls WriteTo: so both the loopback TCP
// listener and the unix socket tor connects to get zero copy.
type fileChunk struct {
	f *os.File
	n int64
}

// Read reads at most the bytes left in the chunk.
func (c *fileChunk) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.f.Read(p)
	c.n -= int64(k)
	return k, err
}

// WriteTo sends the chunk to w: with sendfile when w is a socket (a
// syscall.Conn other than a file), else by copying. A write deadline on
// the socket bounds the wait for it to drain, as for any write.
func (c *fileChunk) WriteTo(w io.Writer) (int64, error) {
	if _, isFile := w.(*os.File); !isFile {
		if sc, ok := w.(syscall.Conn); ok {
			if n, err, handled := sendChunk(sc, c); handled {
				sentByFile.Add(n)
				return n, err
			}
		}
	}
	return io.Copy(w, readerOnly{c})
}

// readerOnly hides WriteTo so io.Copy reads.
type readerOnly struct{ io.Reader }
