// Package precompress is the caddy.fs.torplus_precompressed file system:
// the site owner's folder as it is, plus copies of its files that send
// fewer bytes — brotli, zstd and gzip copies of its text files, WebP
// copies of its JPEG and PNG images — made in the background at start and
// again whenever a file changes, and kept in a cache folder of the data
// directory (never in the owner's folder). One worker makes them, one file
// at a time, at the lowest CPU priority; images over MaxPixels, and those
// whose copy would look different, are sent as they are.
//
// Caddy's file_server, with
//
//	precompressed br zstd gzip
//
// asks this file system for "<file>.br", "<file>.zst" or "<file>.gz" in the
// order of the request's Accept-Encoding, and sends the first it finds with
// its Content-Encoding. The torplus_image_copies handler (ImageCopies),
// right before file_server, turns a request for an image into one for
// "<image>.webp" when the request's Accept prefers WebP. A copy that is
// missing, older than its file, or not worth keeping (it saves under 5 %)
// is not found, so the file goes out as it is until the copy is remade.
// Every file comes back as an *os.File, so the meter's sendfile path
// carries the copies too, and the meter (before the file server) counts
// what goes on the wire.
//
// Caddyfile:
//
//	{
//		filesystem site torplus_precompressed {
//			root  /srv/site
//			cache /var/lib/torplus/precompressed
//		}
//	}
//	:80 {
//		root * /srv/site
//		torplus_image_copies {
//			fs site
//		}
//		file_server {
//			fs site
//			precompressed br zstd gzip
//		}
//	}
package precompress

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(FS{})
}

// ErrConfig is returned by Provision for a missing or unusable root or
// cache folder.
var ErrConfig = errors.New("torplus_precompressed")

// FS is the file system module. Names are OS paths, as Caddy's default
// file system takes them (file_server joins its root and the request
// path).
type FS struct {
	// Root is the site owner's folder.
	Root string `json:"root,omitempty"`
	// Cache is the folder the copies are kept in (made 0700).
	// It must not be inside Root.
	Cache string `json:"cache,omitempty"`

	idx  *index
	stop func() // ends the background work and waits for it
	log  *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (FS) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.fs.torplus_precompressed",
		New: func() caddy.Module { return new(FS) },
	}
}

// Provision checks the folders and starts making copies in the background.
func (f *FS) Provision(ctx caddy.Context) error {
	f.log = ctx.Logger()
	return f.start()
}

// start is Provision without Caddy (tests use it).
func (f *FS) start() error {
	if f.Root == "" || f.Cache == "" {
		return fmt.Errorf("%w: root and cache are both required", ErrConfig)
	}
	root, err := filepath.Abs(f.Root)
	if err != nil {
		return err
	}
	cache, err := filepath.Abs(f.Cache)
	if err != nil {
		return err
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: root %s is not a folder", ErrConfig, root)
	}
	if rel, err := filepath.Rel(root, cache); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("%w: cache %s is inside the site's folder %s", ErrConfig, cache, root)
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return fmt.Errorf("%w: cache: %v", ErrConfig, err)
	}
	if f.log == nil {
		f.log = zap.NewNop()
	}
	f.Root, f.Cache = root, cache
	f.idx = newIndex(root, cache, f.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.idx.run(ctx)
	}()
	f.stop = func() { cancel(); <-done }
	return nil
}

// Cleanup stops the background work (a config reload provisions a new FS,
// which finds the copies already made).
func (f *FS) Cleanup() error {
	if f.stop != nil {
		f.stop()
	}
	return nil
}

// Open opens name: a fresh copy for "<file>.br|.zst|.gz|.webp" of a file
// in Root, else name itself. Caddy calls it twice per file served:
// its file-system map hides Stat (the wrapper it puts around every file
// system has only Open), so file_server's fs.Stat opens, stats and closes
// the file before opening it again to send it.
func (f *FS) Open(name string) (fs.File, error) {
	if p, ok := f.idx.sidecar(name); ok {
		if file, err := openFile(p); err == nil {
			return file, nil
		}
	}
	file, err := openFile(name)
	if err != nil {
		return nil, err // a nil *os.File in an fs.File would not be nil
	}
	return file, nil
}

// Stat is Open's answer without opening.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if p, ok := f.idx.sidecar(name); ok {
		if info, err := os.Stat(p); err == nil {
			return info, nil
		}
	}
	return os.Stat(name)
}

var (
	_ caddy.Provisioner  = (*FS)(nil)
	_ caddy.CleanerUpper = (*FS)(nil)
	_ fs.StatFS          = (*FS)(nil)
)
