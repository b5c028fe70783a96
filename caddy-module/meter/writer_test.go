package meter

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// recorder is an http.ResponseWriter that records what reaches it and
// how: through ReadFrom (with the reader it was given) or Write.
type recorder struct {
	hdr      http.Header
	readFrom []io.Reader
	body     strings.Builder
	writes   int
}

func (r *recorder) Header() http.Header { return r.hdr }
func (r *recorder) WriteHeader(int)     {}
func (r *recorder) Write(p []byte) (int, error) {
	r.writes++
	return r.body.Write(p)
}
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	r.readFrom = append(r.readFrom, src)
	return io.Copy(&r.body, src)
}

func newMetered(t *testing.T, allowance int64) (*meteredWriter, *recorder, *[]time.Duration) {
	rec := &recorder{hdr: http.Header{}}
	s := newSession(time.Now().UnixNano(), allowance)
	clock := &fakeClock{t: time.Now()}
	h := &Handler{policy: testPolicy, st: &state{budget: newBudget(0, clock.Now())}}
	h.st.setClock(clock)
	return &meteredWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: rec}, s: s, h: h,
		ctx: context.Background()}, rec, &clock.slept
}

func tempFile(t *testing.T, n int) *os.File {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(strings.Repeat("a", n)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestReadFromKeepsSendfile checks that within the allowance the file
// reaches the underlying ReadFrom as file_server passes it (a single
// *io.LimitedReader over the *os.File, which net/http sends with
// sendfile), and that it is counted.
func TestReadFromKeepsSendfile(t *testing.T) {
	w, rec, _ := newMetered(t, 1<<20)
	f := tempFile(t, 5000)
	n, err := w.ReadFrom(&io.LimitedReader{R: f, N: 5000}) // what io.CopyN hands over
	if err != nil || n != 5000 || w.n != 5000 || w.s.served.Load() != 5000 {
		t.Fatalf("ReadFrom = %d, %v; counted %d / %d", n, err, w.n, w.s.served.Load())
	}
	if len(rec.readFrom) != 1 || rec.writes != 0 {
		t.Fatalf("underlying ReadFrom called %d times, Write %d times", len(rec.readFrom), rec.writes)
	}
	lr, ok := rec.readFrom[0].(*io.LimitedReader)
	if !ok {
		t.Fatalf("underlying ReadFrom got %T, want *io.LimitedReader", rec.readFrom[0])
	}
	if _, ok := lr.R.(*os.File); !ok {
		t.Fatalf("LimitedReader wraps %T, want *os.File (sendfile needs it one level deep)", lr.R)
	}
}

// TestReadFromPastAllowance checks a file larger than the allowance: the
// part within goes through ReadFrom (still one LimitedReader over the
// file), the rest through throttled writes; every byte is counted once.
func TestReadFromPastAllowance(t *testing.T) {
	w, rec, slept := newMetered(t, 1000)
	f := tempFile(t, 5000)
	outer := &io.LimitedReader{R: f, N: 4500}
	n, err := w.ReadFrom(outer)
	if err != nil || n != 4500 || rec.body.Len() != 4500 || w.s.served.Load() != 4500 || outer.N != 0 {
		t.Fatalf("ReadFrom = %d, %v; body %d, counted %d, left %d", n, err, rec.body.Len(), w.s.served.Load(), outer.N)
	}
	if len(rec.readFrom) != 1 {
		t.Fatalf("underlying ReadFrom called %d times", len(rec.readFrom))
	}
	if lr := rec.readFrom[0].(*io.LimitedReader); lr.R != f {
		t.Fatalf("within-allowance part not handed over as a LimitedReader over the file")
	}
	if rec.writes == 0 || len(*slept) == 0 {
		t.Fatalf("past the allowance: %d writes, %d sleeps; want throttled writes", rec.writes, len(*slept))
	}
	// 3500 bytes at testPolicy.rate (1000 B/s) go in 512-byte chunks, each
	// booked after the one before: the last waits for the six before it.
	if last := (*slept)[len(*slept)-1]; len(*slept) != 7 || last < 2900*time.Millisecond || last > 3072*time.Millisecond {
		t.Fatalf("throttle waits %v", *slept)
	}
}

// TestWriteCounts checks plain writes are counted.
func TestWriteCounts(t *testing.T) {
	w, rec, _ := newMetered(t, 1<<20)
	for _, p := range []string{"hello ", "world"} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if w.s.served.Load() != 11 || rec.body.String() != "hello world" {
		t.Fatalf("counted %d, body %q", w.s.served.Load(), rec.body.String())
	}
}
