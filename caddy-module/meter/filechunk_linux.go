package meter

import (
	"io"
	"syscall"
)

// sendChunk sends c to the socket behind dst with sendfile(2), from the
// file's current offset (which sendfile advances), waiting for the socket
// to drain when it is full. handled is false when nothing was sent and the
// file or socket does not support sendfile: the caller copies instead.
func sendChunk(dst syscall.Conn, c *fileChunk) (written int64, err error, handled bool) {
	out, err := dst.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	in, err := c.f.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	handled = true
	var serr error
	rerr := in.Read(func(infd uintptr) bool {
		werr := out.Write(func(outfd uintptr) bool {
			for c.n > 0 {
				n, err := syscall.Sendfile(int(outfd), int(infd), nil, int(min(c.n, 1<<30)))
				if n > 0 {
					c.n -= int64(n)
					written += int64(n)
				}
				switch {
				case err == syscall.EAGAIN:
					return false // wait until the socket can take more
				case err == syscall.EINTR:
				case (err == syscall.EINVAL || err == syscall.ENOSYS) && written == 0:
					handled = false // not for this file or socket: copy instead
					return true
				case err != nil:
					serr = err
					return true
				case n == 0:
					serr = io.ErrUnexpectedEOF // the file is shorter than it was
					return true
				}
			}
			return true
		})
		if serr == nil {
			serr = werr // a deadline that passed, a closed socket
		}
		return true
	})
	if serr == nil {
		serr = rerr
	}
	return written, serr, handled
}
