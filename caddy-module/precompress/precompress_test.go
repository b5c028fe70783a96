package precompress

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// css is a stylesheet big enough to be worth compressing.
var css = []byte(strings.Repeat("body { margin: 0 auto; color: #2b1d33; font: 17px/1.6 serif; }\n", 200))

// site makes an owner's folder: a stylesheet, a file too small to
// compress, a photo (not text) and a dotfile folder.
func site(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, b := range map[string][]byte{
		"css/site.css": css, "tiny.txt": []byte("hi"), "img/photo.jpg": bytes.Repeat([]byte{0xff, 0xd8}, 4000),
		".git/config.txt": css,
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// start provisions an FS on root with a cache of its own, stopped when
// the test ends.
func start(t *testing.T, root string) *FS {
	t.Helper()
	f := &FS{Root: root, Cache: filepath.Join(t.TempDir(), "precompressed")}
	if err := f.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Cleanup() })
	return f
}

// waitCopy waits (bounded) until name's copy is found in the cache.
func waitCopy(t *testing.T, f *FS, name string) string {
	t.Helper()
	for range 3000 { // 30 s: the worker runs at nice 10, slow on a busy machine
		if p, ok := f.idx.sidecar(name); ok {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no copy of %s after 30 s", name)
	return ""
}

// waitKnown waits (bounded) until the index knows rel, and returns its
// entry.
func waitKnown(t *testing.T, f *FS, rel string) entry {
	t.Helper()
	for range 3000 { // 30 s: the worker runs at nice 10, slow on a busy machine
		f.idx.mu.RLock()
		e, ok := f.idx.files[rel]
		f.idx.mu.RUnlock()
		if ok {
			return e
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s is not known after 30 s", rel)
	return entry{}
}

// decode undoes the encoding of suffix.
func decode(t *testing.T, suffix string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch suffix {
	case ".br":
		r = brotli.NewReader(bytes.NewReader(b))
	case ".zst":
		d, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		r = d
	case ".gz":
		g, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = g
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listing is every file under dir with its size, to see nothing was added.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		b.WriteString(p + " " + info.Mode().String() + "\n")
		return nil
	})
	return b.String()
}

// TestCopiesInCacheNotRoot: each text file gets a brotli, zstd and gzip
// copy in the cache that decodes to it, opened as an *os.File (the meter's
// sendfile path needs one); the owner's folder is left as it was; files
// too small, not text, or in a dot folder get none.
func TestCopiesInCacheNotRoot(t *testing.T) {
	root := site(t)
	before := listing(t, root)
	f := start(t, root)
	src := filepath.Join(root, "css/site.css")
	for _, suffix := range []string{".br", ".zst", ".gz"} {
		p := waitCopy(t, f, src+suffix)
		if !strings.HasPrefix(p, f.Cache+string(filepath.Separator)) {
			t.Fatalf("copy %s is not in the cache %s", p, f.Cache)
		}
		file, err := f.Open(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := file.(*os.File); !ok {
			t.Fatalf("Open gave a %T, want an *os.File", file)
		}
		b, _ := io.ReadAll(file)
		file.Close()
		if got := decode(t, suffix, b); !bytes.Equal(got, css) || len(b) >= len(css)/4 {
			t.Fatalf("%s: %d bytes decoding to %d, want a small copy of the %d-byte file", suffix, len(b), len(got), len(css))
		}
		if info, err := os.Stat(filepath.Join(f.Cache, "css/site.css"+suffix)); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("copy mode: %v %v, want 0600", info.Mode(), err)
		}
	}
	if plain, err := f.Open(src); err != nil {
		t.Fatal(err)
	} else if _, ok := plain.(*os.File); !ok {
		t.Fatalf("Open of the file itself gave a %T", plain)
	} else {
		plain.Close()
	}
	for _, name := range []string{"tiny.txt.br", "img/photo.jpg.br", ".git/config.txt.br"} {
		if _, err := f.Stat(filepath.Join(root, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s) = %v, want fs.ErrNotExist", name, err)
		}
	}
	// the file too small is known, without copies, so asking again does
	// not queue it again
	tiny := filepath.Join(root, "tiny.txt")
	if e := waitKnown(t, f, "tiny.txt"); len(e.have) != 0 {
		t.Fatalf("tiny.txt has copies %v", e.have)
	}
	f.Stat(tiny + ".br")
	f.idx.mu.RLock()
	again := f.idx.queued["tiny.txt"]
	f.idx.mu.RUnlock()
	if again {
		t.Fatal("asking for tiny.txt.br queued it again")
	}
	f.Stat(filepath.Join(root, ".git/config.txt.br"))
	f.idx.mu.RLock()
	dot := f.idx.queued[".git/config.txt"]
	f.idx.mu.RUnlock()
	if dot {
		t.Fatal("asking for .git/config.txt.br queued a file of a dot folder")
	}
	if after := listing(t, root); after != before {
		t.Fatalf("the owner's folder changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestEditedFileNotServedStale: the owner edits a file; its old copies are
// never found again, and new ones are made from the new content.
func TestEditedFileNotServedStale(t *testing.T) {
	root := site(t)
	f := start(t, root)
	src := filepath.Join(root, "css/site.css")
	waitCopy(t, f, src+".br")
	edited := append([]byte("h1 { color: red; }\n"), css...)
	if err := os.WriteFile(src, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	os.Chtimes(src, later, later)
	if _, err := f.Stat(src + ".br"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("right after the edit Stat(.br) = %v, want fs.ErrNotExist (the file goes out as it is)", err)
	}
	file, err := f.Open(waitCopy(t, f, src+".br"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	b, _ := io.ReadAll(file)
	if !bytes.Equal(decode(t, ".br", b), edited) {
		t.Fatal("the new copy does not decode to the edited file")
	}
}

// TestRestartReusesCopies: a second start (a restart, a config reload)
// takes the copies the first made instead of compressing again.
func TestRestartReusesCopies(t *testing.T) {
	root := site(t)
	f := start(t, root)
	src := filepath.Join(root, "css/site.css")
	first := waitCopy(t, f, src+".br")
	info, _ := os.Stat(first)
	f.Cleanup()
	g := &FS{Root: root, Cache: f.Cache}
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
	defer g.Cleanup()
	if p := waitCopy(t, g, src+".br"); p != first {
		t.Fatalf("copy %s, want %s", p, first)
	}
	if again, _ := os.Stat(first); !os.SameFile(info, again) {
		t.Fatal("the copy was made again on the second start")
	}
}

// TestNamesOutsideRoot: a sidecar name whose file is not in the root, or
// that climbs out of it, is passed to the OS as it is, never mapped into
// the cache.
func TestNamesOutsideRoot(t *testing.T) {
	root := site(t)
	f := start(t, root)
	waitCopy(t, f, filepath.Join(root, "css/site.css.br"))
	for _, name := range []string{
		filepath.Join(filepath.Dir(root), "site.css.br"),
		root + "/../" + filepath.Base(root) + "x/css/site.css.br", // climbs out to a sibling
		"/etc/passwd.gz",
		root + ".br",
	} {
		if p, ok := f.idx.sidecar(name); ok {
			t.Errorf("sidecar(%s) = %s, want none", name, p)
		}
	}
}

// TestConfigErrors: a missing folder, or a cache inside the site's folder
// (whose copies would then be served under their own names), is refused.
func TestConfigErrors(t *testing.T) {
	root := site(t)
	for _, tc := range []struct {
		name string
		f    FS
	}{
		{"no root", FS{Cache: t.TempDir()}},
		{"no cache", FS{Root: root}},
		{"root not a folder", FS{Root: filepath.Join(root, "tiny.txt"), Cache: t.TempDir()}},
		{"cache in root", FS{Root: root, Cache: filepath.Join(root, "cache")}},
		{"cache is root", FS{Root: root, Cache: root}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.start(); !errors.Is(err, ErrConfig) {
				tc.f.Cleanup()
				t.Fatalf("start = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(root, "cache")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a refused config made a folder in the site")
	}
}

// TestLimits: a file over MaxSize gets no copies, and a visitor asking
// for the copies of many new files at once never grows the queue past its
// bound nor waits for it (asking again later queues what was left out).
func TestLimits(t *testing.T) {
	root := t.TempDir()
	f := start(t, root)
	big := filepath.Join(root, "big.txt")
	if err := os.WriteFile(big, bytes.Repeat([]byte("a"), MaxSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	f.Stat(big + ".br")
	if e := waitKnown(t, f, "big.txt"); len(e.have) != 0 {
		t.Fatalf("a file over MaxSize got copies %v", e.have)
	}
	const n = queueLen + 500
	for i := range n {
		p := filepath.Join(root, "page"+strconv.Itoa(i)+".html")
		if err := os.WriteFile(p, css, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	most := 0
	for i := range n {
		if _, err := f.Stat(filepath.Join(root, "page"+strconv.Itoa(i)+".html.br")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a copy before it was made: %v", err)
		}
		f.idx.mu.RLock()
		most = max(most, len(f.idx.queued))
		f.idx.mu.RUnlock()
	}
	if most > queueLen+1 { // the queue, and the one the worker holds
		t.Fatalf("%d files queued at once, want at most %d", most, queueLen+1)
	}
	t.Logf("at most %d of %d files queued at once", most, n)
}
