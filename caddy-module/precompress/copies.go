package precompress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files outside these sizes get no copies: below MinSize the saving is
// smaller than a TCP segment, above MaxSize the work at start is not worth
// bounding.
const (
	MinSize = 256
	MaxSize = 32 << 20
)

// errChanged is returned when a file changed while its copies were made.
var errChanged = errors.New("changed while making its copies")

// ErrKeptAsIs is wrapped by the reasons a file is sent as it is, without
// copies (ErrTooManyPixels, ErrUnsupportedImage, ErrBadImage): its copies
// are recorded as not worth keeping, so it is not tried again until it
// changes.
var ErrKeptAsIs = errors.New("precompress: sent as it is")

// kind is a kind of source file and the copies made of it.
type kind struct {
	exts     map[string]bool // the source files' extensions, lower case
	suffixes []string        // the copies' suffixes, in the order make returns them
	// make returns data's copies in the order of suffixes, each nil when
	// not worth keeping; ext is the source's extension.
	make func(ctx context.Context, ext string, data []byte) ([][]byte, error)
}

// kindsFor are the kinds of copies made with procs Ps (GOMAXPROCS): text
// compressed (compress.go) always, images in newer formats (images.go)
// only with two or more. An image is encoded in WebAssembly, which the Go
// scheduler cannot preempt: the worker holds its P until the encode ends,
// and on one P that would stop serving for as long.
func kindsFor(procs int) []*kind {
	if procs < 2 {
		return []*kind{&textKind}
	}
	return []*kind{&textKind, &imageKind}
}

// kindOf is the kind among kinds of the copies the file rel gets, or nil.
func kindOf(kinds []*kind, rel string) *kind {
	ext := strings.ToLower(filepath.Ext(rel))
	for _, k := range kinds {
		if k.exts[ext] {
			return k
		}
	}
	return nil
}

// copyName splits name, "<file><suffix>", into the file and the kind among
// kinds whose copies end in suffix.
func copyName(kinds []*kind, name string) (src, suffix string, k *kind, ok bool) {
	for _, k := range kinds {
		for _, s := range k.suffixes {
			if strings.HasSuffix(name, s) {
				return strings.TrimSuffix(name, s), s, k, true
			}
		}
	}
	return "", "", nil, false
}

// makeCopies writes the copies of kind k (nil: none) of root/rel into cache (each by a rename,
// so a reader sees a whole copy or none), dated like the file. A copy
// that saves under 5 % is written empty, the mark of a copy not worth
// keeping, so a later start does not make it again; so is every copy of
// a file outside MinSize–MaxSize or kept as it is (ErrKeptAsIs).
func makeCopies(ctx context.Context, root, cache, rel string, k *kind) (entry, error) {
	src := filepath.Join(root, rel)
	info, err := os.Stat(src)
	if err != nil {
		return entry{}, err
	}
	from := versionOf(info)
	if k == nil || !info.Mode().IsRegular() {
		return entry{from: from}, nil
	}
	if e, ok := existingCopies(cache, rel, k, from); ok { // a request queued it before the walk came by
		return e, nil
	}
	var copies [][]byte
	var kept error
	if info.Size() >= MinSize && info.Size() <= MaxSize {
		data, err := os.ReadFile(src)
		if err != nil {
			return entry{}, err
		}
		if int64(len(data)) != from.size {
			return entry{}, errChanged
		}
		copies, err = k.make(ctx, strings.ToLower(filepath.Ext(rel)), data)
		if errors.Is(err, ErrKeptAsIs) {
			copies, kept = nil, err
		} else if err != nil {
			return entry{}, fmt.Errorf("%s: %w", rel, err)
		}
		for i, c := range copies {
			if len(c) > len(data)*95/100 {
				copies[i] = nil
			}
		}
	}
	dst := filepath.Join(cache, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return entry{}, err
	}
	e := entry{from: from, have: map[string]bool{}}
	for i, suffix := range k.suffixes {
		var c []byte
		if i < len(copies) {
			c = copies[i]
		}
		if err := writeCopy(dst+suffix, c, from); err != nil {
			return entry{}, err
		}
		if len(c) > 0 {
			e.have[suffix] = true
		}
	}
	if now, err := os.Stat(src); err != nil || versionOf(now) != from {
		return entry{}, errChanged
	}
	return e, kept
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

// existingCopies is the entry for the copies of rel a previous run left,
// when every one of them is there and dated like the file (an empty one
// was not worth keeping).
func existingCopies(cache, rel string, k *kind, from version) (entry, bool) {
	e := entry{from: from, have: map[string]bool{}}
	for _, suffix := range k.suffixes {
		info, err := os.Stat(filepath.Join(cache, rel+suffix))
		if err != nil || !info.ModTime().Equal(from.mod) {
			return entry{}, false
		}
		if info.Size() > 0 {
			e.have[suffix] = true
		}
	}
	return e, true
}
