package precompress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestImageCopiesKeptAcrossRestart: a photograph's copy, and the mark of
// an image sent as it is (it does not decode), are taken as they are on
// the next start, not made again.
func TestImageCopiesKeptAcrossRestart(t *testing.T) {
	root := imageSite(t)
	if err := os.WriteFile(filepath.Join(root, "img/broken.jpg"), bytes.Repeat([]byte{0xff, 0xd8}, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	f := start(t, root)
	photo := waitCopy(t, f, filepath.Join(root, "img/photo.jpg.webp"))
	if e := waitKnown(t, f, "img/broken.jpg"); len(e.have) != 0 {
		t.Fatalf("a JPEG that does not decode has copies %v", e.have)
	}
	mark := filepath.Join(f.Cache, "img/broken.jpg.webp")
	before := map[string]os.FileInfo{}
	for _, p := range []string{photo, mark} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = info
	}
	if before[mark].Size() != 0 {
		t.Fatalf("the mark of a file sent as it is has %d bytes", before[mark].Size())
	}
	if _, err := f.Stat(filepath.Join(root, "img/broken.jpg.webp")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of the mark's name: %v, want fs.ErrNotExist", err)
	}
	f.Cleanup()
	g := &FS{Root: root, Cache: f.Cache}
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
	defer g.Cleanup()
	waitCopy(t, g, filepath.Join(root, "img/photo.jpg.webp"))
	waitKnown(t, g, "img/broken.jpg")
	for p, info := range before {
		if again, err := os.Stat(p); err != nil || !os.SameFile(info, again) {
			t.Fatalf("%s was made again on the second start", p)
		}
	}
}

// TestCopyReplacedWhileOpen: a copy being sent when its image changes and
// the new copy replaces it is sent whole, as it was (the new copy comes
// in by a rename; the open file is the old one).
func TestCopyReplacedWhileOpen(t *testing.T) {
	root := imageSite(t)
	f := start(t, root)
	src := filepath.Join(root, "img/photo.jpg")
	p := waitCopy(t, f, src+".webp")
	old, _ := os.ReadFile(p)
	file, err := f.Open(src + ".webp")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(file, head); err != nil {
		t.Fatal(err)
	}
	replacement, _ := os.ReadFile("../../www-example/img/market.fb0dfe3524.jpg")
	if err := os.WriteFile(src, replacement, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	os.Chtimes(src, later, later)
	for range 3000 { // 30 s: the worker runs at nice 10, slow on a busy machine
		if now, _ := os.ReadFile(p); len(now) > 0 && !bytes.Equal(now, old) {
			break
		}
		f.Stat(src + ".webp") // asks for it, as a request does
		time.Sleep(10 * time.Millisecond)
	}
	if now, _ := os.ReadFile(p); bytes.Equal(now, old) {
		t.Fatal("the copy was not remade within 30 s")
	}
	rest, _ := io.ReadAll(file)
	if got := append(head, rest...); !bytes.Equal(got, old) {
		t.Fatalf("the open copy read %d bytes, not the %d of the copy it was", len(got), len(old))
	}
}

// fileSystems is Caddy's file-system map with one file system, named
// "site".
type fileSystems struct{ fs.FS }

func (fileSystems) Register(string, fs.FS) {}
func (fileSystems) Unregister(string)      {}
func (s fileSystems) Get(k string) (fs.FS, bool) {
	return s.FS, k == "site"
}
func (s fileSystems) Default() fs.FS { return s.FS }

// TestImageCopiesFallBack: when the copy the handler found is gone by the
// time file_server looks (the image changed in between: file_server
// answers 404), the handler sends the request on as it came; requests
// that are not a GET or HEAD of an image, or that do not name WebP, go
// on untouched. Every image answer says Vary: Accept.
func TestImageCopiesFallBack(t *testing.T) {
	root := imageSite(t)
	f := start(t, root)
	waitCopy(t, f, filepath.Join(root, "img/photo.jpg.webp"))
	h := &ImageCopies{FileSystem: "site", Root: root, fsmap: fileSystems{f}}
	tests := []struct {
		name, method, path, accept string
		copyGone                   bool
		wantPaths                  string // the paths next saw
		vary                       bool
	}{
		{"copy", "GET", "/img/photo.jpg", chromiumAccept, false, "/img/photo.jpg.webp", true},
		{"copy gone", "GET", "/img/photo.jpg", chromiumAccept, true, "/img/photo.jpg.webp /img/photo.jpg", true},
		{"HEAD", "HEAD", "/img/photo.jpg", chromiumAccept, false, "/img/photo.jpg.webp", true},
		{"POST", "POST", "/img/photo.jpg", chromiumAccept, false, "/img/photo.jpg", false},
		{"no WebP", "GET", "/img/photo.jpg", "*/*", false, "/img/photo.jpg", true},
		{"no copy", "GET", "/img/missing.jpg", chromiumAccept, false, "/img/missing.jpg", true},
		{"not an image", "GET", "/img/photo.txt", chromiumAccept, false, "/img/photo.txt", false},
		{"upper case", "GET", "/img/PHOTO.JPG", chromiumAccept, false, "/img/PHOTO.JPG", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen []string
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				seen = append(seen, r.URL.Path)
				if tc.copyGone && strings.HasSuffix(r.URL.Path, ".webp") {
					return caddyhttp.Error(http.StatusNotFound, fs.ErrNotExist)
				}
				return nil
			})
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Header.Set("Accept", tc.accept)
			r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
			w := httptest.NewRecorder()
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(seen, " "); got != tc.wantPaths {
				t.Fatalf("next saw %q, want %q", got, tc.wantPaths)
			}
			if r.URL.Path != tc.path {
				t.Fatalf("the request's own path became %q", r.URL.Path)
			}
			if got := w.Header().Get("Vary") == "Accept"; got != tc.vary {
				t.Fatalf("Vary %q, want Accept: %v", w.Header().Get("Vary"), tc.vary)
			}
		})
	}
}
