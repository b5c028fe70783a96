package precompress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Files outside these sizes are not compressed: below MinSize the saving
// is smaller than a TCP segment, above MaxSize the work at start is not
// worth bounding.
const (
	MinSize = 256
	MaxSize = 32 << 20
)

// errChanged is returned when a file changed while it was compressed.
var errChanged = errors.New("changed while compressing")

// encoding is one kind of copy.
type encoding struct {
	suffix string
	encode func(w io.Writer, src []byte) error
}

// encodings are the copies made, with the strongest settings: each file
// is compressed once.
var encodings = []encoding{
	{".br", func(w io.Writer, src []byte) error {
		bw := brotli.NewWriterLevel(w, brotli.BestCompression)
		if _, err := bw.Write(src); err != nil {
			return err
		}
		return bw.Close()
	}},
	{".zst", func(w io.Writer, src []byte) error {
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		if _, err := zw.Write(src); err != nil {
			return err
		}
		return zw.Close()
	}},
	{".gz", func(w io.Writer, src []byte) error {
		gw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := gw.Write(src); err != nil {
			return err
		}
		return gw.Close()
	}},
}

func encodingOf(name string) (encoding, bool) {
	for _, e := range encodings {
		if strings.HasSuffix(name, e.suffix) {
			return e, true
		}
	}
	return encoding{}, false
}

// textTypes are the extensions of the files worth compressing (images,
// fonts in WOFF2, archives and media are compressed already).
var textTypes = map[string]bool{
	".html": true, ".htm": true, ".css": true, ".js": true, ".mjs": true, ".json": true, ".map": true,
	".svg": true, ".txt": true, ".xml": true, ".webmanifest": true, ".md": true, ".csv": true,
	".ico": true, ".ttf": true, ".otf": true, ".wasm": true,
}

func compressible(rel string) bool { return textTypes[strings.ToLower(filepath.Ext(rel))] }

// makeCopies writes the copies of root/rel into cache (each by a rename,
// so a reader sees a whole copy or none), dated like the file. A copy that
// saves under 5 % is not kept.
func makeCopies(root, cache, rel string) (entry, error) {
	src := filepath.Join(root, rel)
	info, err := os.Stat(src)
	if err != nil {
		return entry{}, err
	}
	if !info.Mode().IsRegular() || info.Size() < MinSize || info.Size() > MaxSize {
		return entry{}, fmt.Errorf("%s: %d bytes, not compressed", rel, info.Size())
	}
	from := versionOf(info)
	if e, ok := existingCopies(cache, rel, from); ok { // a request queued it before the walk came by
		return e, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return entry{}, err
	}
	if int64(len(data)) != from.size {
		return entry{}, errChanged
	}
	dst := filepath.Join(cache, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return entry{}, err
	}
	e := entry{from: from, have: map[string]bool{}}
	var buf bytes.Buffer
	for _, enc := range encodings {
		buf.Reset()
		if err := enc.encode(&buf, data); err != nil {
			return entry{}, fmt.Errorf("%s%s: %w", rel, enc.suffix, err)
		}
		if buf.Len() > len(data)*95/100 {
			os.Remove(dst + enc.suffix)
			continue
		}
		if err := writeCopy(dst+enc.suffix, buf.Bytes(), from); err != nil {
			return entry{}, err
		}
		e.have[enc.suffix] = true
	}
	if now, err := os.Stat(src); err != nil || versionOf(now) != from {
		return entry{}, errChanged
	}
	return e, nil
}

// writeCopy writes b to path through a temporary file, 0600, with the
// source's modification time (which is how a later start knows the copy
// is fresh).
func writeCopy(path string, b []byte, from version) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(tmp.Name(), from.mod, from.mod)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// existingCopies is the entry for the copies a previous run left of rel,
// when they are dated like the file (a copy not worth keeping was never
// written, so such a file is compressed again at each start).
func existingCopies(cache, rel string, from version) (entry, bool) {
	e := entry{from: from, have: map[string]bool{}}
	for _, enc := range encodings {
		info, err := os.Stat(filepath.Join(cache, rel+enc.suffix))
		if err != nil || !info.ModTime().Equal(from.mod) {
			return entry{}, false
		}
		e.have[enc.suffix] = true
	}
	return e, true
}
