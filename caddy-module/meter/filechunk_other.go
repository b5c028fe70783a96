//go:build !linux

package meter

import "syscall"

// sendChunk is sendfile on Linux; elsewhere the chunk is copied.
func sendChunk(syscall.Conn, *fileChunk) (int64, error, bool) { return 0, nil, false }
