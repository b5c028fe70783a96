package precompress

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// osFS is Caddy's default file system (internal/filesystems.OsFS).
type osFS struct{}

func (osFS) Open(name string) (fs.File, error) { return os.Open(name) }

// onlyOpen hides Stat as Caddy's file-system map does with every file
// system it holds.
type onlyOpen struct{ fs.FS }

// BenchmarkServeFile does a file's system calls as file_server makes them
// for one 4 KiB response with no Accept-Encoding: fs.Stat (an Open, a
// Stat and a Close, Stat being hidden), then Open, Seek to the end and
// back, Close; through Caddy's default file system and through this one.
//
//	go test -run XXX -bench ServeFile ./caddy-module/precompress/
func BenchmarkServeFile(b *testing.B) {
	root := b.TempDir()
	name := filepath.Join(root, "4k.bin")
	if err := os.WriteFile(name, make([]byte, 4096), 0o644); err != nil {
		b.Fatal(err)
	}
	f := &FS{Root: root, Cache: filepath.Join(b.TempDir(), "c")}
	if err := f.start(); err != nil {
		b.Fatal(err)
	}
	defer f.Cleanup()
	for _, sys := range []struct {
		name string
		fsys fs.FS
	}{{"caddy-default", onlyOpen{osFS{}}}, {"torplus_precompressed", onlyOpen{f}}} {
		b.Run(sys.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := fs.Stat(sys.fsys, name); err != nil {
					b.Fatal(err)
				}
				file, err := sys.fsys.Open(name)
				if err != nil {
					b.Fatal(err)
				}
				s := file.(*os.File)
				s.Seek(0, 2)
				s.Seek(0, 0)
				s.Close()
			}
		})
	}
}
