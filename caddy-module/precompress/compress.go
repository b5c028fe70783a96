package precompress

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// encoding is one compression, and the suffix of its copies.
type encoding struct {
	suffix string
	writer func(w io.Writer) (io.WriteCloser, error)
}

// encodings are the copies made, with the strongest settings: each file
// is compressed once.
var encodings = []encoding{
	{".br", func(w io.Writer) (io.WriteCloser, error) {
		return brotli.NewWriterLevel(w, brotli.BestCompression), nil
	}},
	{".zst", func(w io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	}},
	{".gz", func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	}},
}

// piece is how much is compressed between two looks at the context, so a
// stop (a config reload) waits for at most one piece.
const piece = 256 << 10

// encode compresses src with enc into buf, stopping when ctx ends.
func encode(ctx context.Context, enc encoding, buf *bytes.Buffer, src []byte) error {
	w, err := enc.writer(buf)
	if err != nil {
		return err
	}
	for len(src) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(piece, len(src))
		if _, err := w.Write(src[:n]); err != nil {
			return err
		}
		src = src[n:]
	}
	return w.Close()
}

// textKind is the text files, with a brotli, zstd and gzip copy each
// (images, fonts in WOFF2, archives and media are compressed already).
var textKind = kind{
	exts: map[string]bool{
		".html": true, ".htm": true, ".css": true, ".js": true, ".mjs": true, ".json": true, ".map": true,
		".svg": true, ".txt": true, ".xml": true, ".webmanifest": true, ".md": true, ".csv": true,
		".ico": true, ".ttf": true, ".otf": true, ".wasm": true,
	},
	suffixes: textSuffixes(),
	make:     compressText,
}

func textSuffixes() []string {
	s := make([]string, len(encodings))
	for i, enc := range encodings {
		s[i] = enc.suffix
	}
	return s
}

// compressText is data compressed with each of encodings.
func compressText(ctx context.Context, _ string, data []byte) ([][]byte, error) {
	copies := make([][]byte, len(encodings))
	for i, enc := range encodings {
		var buf bytes.Buffer
		if err := encode(ctx, enc, &buf, data); err != nil {
			return nil, fmt.Errorf("%s: %w", enc.suffix, err)
		}
		copies[i] = buf.Bytes()
	}
	return copies, nil
}
