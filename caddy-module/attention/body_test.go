package attention

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBodyLimits: a body of unknown length (no Content-Length, as a
// chunked one) is read up to maxBody bytes and refused one byte past it,
// whatever the buffer it starts from; a failing read is ErrMalformed.
func TestReadBodyLimits(t *testing.T) {
	tests := []struct {
		name    string
		body    io.Reader
		maxBody int64
		want    int
		err     error
	}{
		{"empty", strings.NewReader(""), DefaultMaxBody, 0, nil},
		{"exactly the limit", strings.NewReader(strings.Repeat("x", DefaultMaxBody)), DefaultMaxBody, DefaultMaxBody, nil},
		{"one byte over", strings.NewReader(strings.Repeat("x", DefaultMaxBody+1)), DefaultMaxBody, 0, ErrTooLarge},
		{"far over, a byte at a time", iotest.OneByteReader(strings.NewReader(strings.Repeat("x", 1<<20))), DefaultMaxBody, 0, ErrTooLarge},
		{"a large limit", strings.NewReader(strings.Repeat("x", 1<<20)), 1 << 20, 1 << 20, nil},
		{"a read fails", iotest.ErrReader(errors.New("connection reset")), DefaultMaxBody, 0, ErrMalformed},
		{"a read fails half-way", iotest.TimeoutReader(strings.NewReader(strings.Repeat("x", 100))), DefaultMaxBody, 0, ErrMalformed},
	}
	for _, tt := range tests {
		got, err := readBody(tt.body, nil, tt.maxBody)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		} else if err == nil && len(got) != tt.want {
			t.Errorf("%s: %d bytes, want %d", tt.name, len(got), tt.want)
		}
		if len(got) > int(tt.maxBody)+1 {
			t.Errorf("%s: read %d bytes, past the limit %d", tt.name, len(got), tt.maxBody)
		}
	}
	// Whatever buffer the pool hands out, the same body reads the same.
	for _, start := range [][]byte{nil, make([]byte, 0, 7), make([]byte, 3, 2*DefaultMaxBody)} {
		got, err := readBody(strings.NewReader(strings.Repeat("y", DefaultMaxBody)), start[:0], DefaultMaxBody)
		if err != nil || len(got) != DefaultMaxBody || strings.Trim(string(got), "y") != "" {
			t.Errorf("from a buffer of cap %d: %d bytes, %v", cap(start), len(got), err)
		}
	}
}
