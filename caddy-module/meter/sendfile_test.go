package meter

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// connRecorder is a recorder that also takes write deadlines and flushes,
// as the http.response under Caddy's IdleTimeoutWriter does.
type connRecorder struct {
	recorder
	deadlines []time.Time
	flushes   int
}

func (c *connRecorder) SetWriteDeadline(t time.Time) error {
	c.deadlines = append(c.deadlines, t)
	return nil
}

func (c *connRecorder) FlushError() error { c.flushes++; return nil }

// underIdleWriter returns a metered writer over a real IdleTimeoutWriter
// (as Caddy's server installs it for HTTP/1) over a connRecorder.
func underIdleWriter(t *testing.T, allowance int64, edit func(*caddyhttp.IdleTimeoutWriter)) (*meteredWriter, *connRecorder) {
	rec := &connRecorder{recorder: recorder{hdr: http.Header{}}}
	itw := &caddyhttp.IdleTimeoutWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: rec},
		Ctrl:                  http.NewResponseController(rec),
		Deadline:              caddyhttp.IdleDeadline{Start: time.Now(), Timeout: time.Minute},
		Logger:                zap.NewNop(),
	}
	if edit != nil {
		edit(itw)
	}
	w, _, _ := newMetered(t, allowance)
	w.ResponseWriterWrapper = caddyhttp.ResponseWriterWrapper{ResponseWriter: itw}
	return w, rec
}

// TestReadFromSendfileUnderIdleWriter checks that a file sent through
// Caddy's IdleTimeoutWriter reaches the connection as one fileChunk per
// chunk (which sends itself with sendfile), never as the LimitedReader of a
// LimitedReader that IdleTimeoutWriter.ReadFrom makes;
// that the idle deadline is reset before every chunk; and that every byte
// is sent once and counted.
func TestReadFromSendfileUnderIdleWriter(t *testing.T) {
	const size = 200 << 10
	tests := []struct {
		name      string
		maxChunk  int
		allowance int64
		limit     int64 // the LimitedReader file_server hands over
		chunks    int
	}{
		{"default 64 KiB chunks", 0, 1 << 30, size, 4},
		{"16 KiB chunks", 16 << 10, 1 << 30, size, 13},
		{"range of the file", 0, 1 << 30, 100 << 10, 2},
		{"allowance ends inside", 0, 70 << 10, size, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, rec := underIdleWriter(t, tt.allowance, func(itw *caddyhttp.IdleTimeoutWriter) { itw.MaxChunk = tt.maxChunk })
			w.Header().Set("Content-Type", "application/octet-stream")
			f := tempFile(t, size)
			before := time.Now()
			n, err := w.ReadFrom(&io.LimitedReader{R: f, N: tt.limit})
			if err != nil || n != tt.limit || int64(rec.body.Len()) != tt.limit || w.s.served.Load() != tt.limit {
				t.Fatalf("ReadFrom = %d, %v; body %d, counted %d; want %d", n, err, rec.body.Len(), w.s.served.Load(), tt.limit)
			}
			if len(rec.readFrom) != tt.chunks {
				t.Fatalf("connection's ReadFrom called %d times, want %d", len(rec.readFrom), tt.chunks)
			}
			for i, src := range rec.readFrom {
				if _, ok := src.(*fileChunk); !ok {
					t.Fatalf("chunk %d: connection got %T, want a *fileChunk (IdleTimeoutWriter's LimitedReader of a LimitedReader loses sendfile)", i, src)
				}
			}
			if int64(len(rec.deadlines)) < int64(tt.chunks) {
				t.Fatalf("%d write deadlines for %d chunks: the idle timeout must be reset before each", len(rec.deadlines), tt.chunks)
			}
			for _, d := range rec.deadlines {
				if d.Before(before.Add(time.Minute)) || d.After(time.Now().Add(time.Minute)) {
					t.Fatalf("write deadline %v is not now + the 1m idle timeout", d)
				}
			}
			if want := strings.Repeat("a", int(tt.limit)); rec.body.String() != want {
				t.Fatal("body differs from the file")
			}
		})
	}
}

// TestReadFromOrdinaryPath checks the cases sendFileChunks leaves to the
// IdleTimeoutWriter's own ReadFrom (minimum rate, HTTP/2, no Content-Type
// yet, not a file): the bytes are still all sent and counted.
func TestReadFromOrdinaryPath(t *testing.T) {
	const size = 100 << 10
	tests := []struct {
		name  string
		edit  func(*caddyhttp.IdleTimeoutWriter)
		ctype bool
		file  bool
	}{
		{"minimum rate", func(itw *caddyhttp.IdleTimeoutWriter) { itw.Deadline.MinRate = 1000 }, true, true},
		{"HTTP/2", func(itw *caddyhttp.IdleTimeoutWriter) { itw.ClearBetweenWrites = true }, true, true},
		{"no Content-Type", nil, false, true},
		{"not a file", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, rec := underIdleWriter(t, 1<<30, tt.edit)
			if tt.ctype {
				w.Header().Set("Content-Type", "application/octet-stream")
			}
			var src io.Reader = tempFile(t, size)
			if !tt.file {
				src = strings.NewReader(strings.Repeat("a", size))
			}
			n, err := w.ReadFrom(&io.LimitedReader{R: src, N: size})
			if err != nil || n != size || rec.body.Len() != size || w.s.served.Load() != size {
				t.Fatalf("ReadFrom = %d, %v; body %d, counted %d", n, err, rec.body.Len(), w.s.served.Load())
			}
			for _, src := range rec.readFrom {
				if _, ok := src.(*fileChunk); ok {
					t.Fatal("took the sendfile path where IdleTimeoutWriter.ReadFrom must do the work")
				}
			}
		})
	}
}

// TestZeroCopyThroughCaddy serves files from a real Caddy server (the
// proxy_protocol listener, Caddy's own response writers, as in production)
// and checks that every body byte of a metered response went out with
// sendfile: a Caddy upgrade that changes the writers under the meter fails
// here rather than silently copying again.
func TestZeroCopyThroughCaddy(t *testing.T) {
	site := startSite(t, map[string]map[string]any{"zc": {"free_round": int64(1) << 40}}, "")
	for _, size := range []int{4 << 10, 1 << 20} {
		name := fmt.Sprintf("/f%d", size)
		want := site.file(name[1:], size)
		c := newClient(uint32(size), "", "")
		before := sentByFile.Load()
		resp, err := c.Get(site.url("zc", name))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("%s: %s, %d bytes, %v", name, resp.Status, len(body), err)
		}
		// The server counts after its sendfile returns, which can be just
		// after the client has the bytes: wait a little for the count.
		sent := sentByFile.Load() - before
		for i := 0; i < 100 && sent < int64(size); i++ {
			time.Sleep(20 * time.Millisecond)
			sent = sentByFile.Load() - before
		}
		if sent != int64(size) {
			t.Fatalf("%s: sendfile sent %d of %d body bytes; the rest was copied", name, sent, size)
		}
	}
}
