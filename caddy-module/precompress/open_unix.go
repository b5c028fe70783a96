//go:build unix

package precompress

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openFile opens name for reading as os.Open does, less two system calls:
// os.Open offers every file to the network poller, which refuses a
// regular file (epoll_ctl fails with EPERM) and then sets the descriptor
// blocking again (fcntl). A file made by os.NewFile from a descriptor
// opened blocking is never offered: one fcntl to see it is blocking, and
// it is still an *os.File, as the meter's sendfile path needs. On the
// 4 KiB path Caddy opens each file twice (see Open).
func openFile(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
