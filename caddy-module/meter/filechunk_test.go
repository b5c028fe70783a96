package meter

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// socketPair returns the two ends of a connection over network ("tcp" on
// 127.0.0.1 or "unix" in a short temporary directory).
func socketPair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		dir, err := os.MkdirTemp("", "tp")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = filepath.Join(dir, "s")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	w, err := net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-accepted
	if r == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { w.Close(); r.Close() })
	return w, r
}

// randomFile writes n random bytes to a file and returns it open, and the bytes.
func randomFile(t *testing.T, n int) (*os.File, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, b
}

// TestFileChunkSendfile sends a part of a file over TCP and a unix socket,
// the way net/http's copy reaches it (TCPConn.ReadFrom, io.Copy to a
// UnixConn), to a reader that starts late so the socket fills and the
// sender must wait: the bytes arrive exactly, the file offset moves past
// them, and the direct call reports that sendfile did the work.
func TestFileChunkSendfile(t *testing.T) {
	const size, from, n = 3 << 20, 100 << 10, 2<<20 + 12345
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			f, want := randomFile(t, size)
			w, r := socketPair(t, network)
			got := make(chan []byte, 1)
			go func() {
				time.Sleep(100 * time.Millisecond) // let the socket fill
				b, _ := io.ReadAll(io.LimitReader(r, n))
				got <- b
			}()
			if _, err := f.Seek(from, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			c := &fileChunk{f: f, n: n}
			var sent int64
			var err error
			if tc, ok := w.(*net.TCPConn); ok {
				sent, err = tc.ReadFrom(c) // net/http's path: genericReadFrom → io.Copy → WriteTo
			} else {
				sent, err = io.Copy(w, c)
			}
			if err != nil || sent != n || c.n != 0 {
				t.Fatalf("sent %d, %v; %d left", sent, err, c.n)
			}
			if b := <-got; !bytes.Equal(b, want[from:from+n]) {
				t.Fatalf("received %d bytes, not the file's bytes %d to %d", len(b), from, from+n)
			}
			if pos, _ := f.Seek(0, io.SeekCurrent); pos != from+n {
				t.Fatalf("file offset %d, want %d", pos, from+n)
			}
			// Directly: sendfile handles it.
			go io.Copy(io.Discard, r)
			written, err, handled := sendChunk(w.(syscall.Conn), &fileChunk{f: f, n: 1000})
			if !handled || err != nil || written != 1000 {
				t.Fatalf("sendChunk = %d, %v, handled %v; want 1000 bytes by sendfile", written, err, handled)
			}
		})
	}
}

// TestFileChunkErrors checks the ways a chunk can end early: the socket's
// write deadline passes while the peer reads nothing, the file is shorter
// than the chunk; and that a writer without a descriptor gets a copy.
func TestFileChunkErrors(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		f, _ := randomFile(t, 8<<20)
		w, _ := socketPair(t, "unix") // the peer never reads
		w.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := io.Copy(w, &fileChunk{f: f, n: 8 << 20})
		if !errors.Is(err, os.ErrDeadlineExceeded) || n >= 8<<20 {
			t.Fatalf("sent %d, %v; want the deadline to stop it", n, err)
		}
	})
	t.Run("short file", func(t *testing.T) {
		f, _ := randomFile(t, 1000)
		w, r := socketPair(t, "tcp")
		go io.Copy(io.Discard, r)
		n, err := w.(*net.TCPConn).ReadFrom(&fileChunk{f: f, n: 5000})
		if !errors.Is(err, io.ErrUnexpectedEOF) || n != 1000 {
			t.Fatalf("sent %d, %v; want 1000 then io.ErrUnexpectedEOF", n, err)
		}
	})
	t.Run("no descriptor", func(t *testing.T) {
		f, want := randomFile(t, 70000)
		var buf bytes.Buffer
		n, err := (&fileChunk{f: f, n: 65536}).WriteTo(&buf)
		if err != nil || n != 65536 || !bytes.Equal(buf.Bytes(), want[:65536]) {
			t.Fatalf("copied %d, %v", n, err)
		}
	})
}
