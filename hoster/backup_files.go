package main

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/torplus/torplus/caddy-module/onionservice"
)

// stateFiles lists, relative to dataDir (slash-separated), the files a
// backup copies besides the store: the onion key directory's files and
// the top-level seed and key files (payee.seed, fee.seed, privacy.key …).
// Only regular files: a symlink planted in the data directory is never
// followed out of it.
func stateFiles(dataDir string) ([]string, error) {
	keyDir, err := filepath.Rel(dataDir, onionservice.KeyDir(dataDir))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range []struct {
		dir  string
		keep func(name string) bool
	}{
		{".", func(n string) bool { return strings.HasSuffix(n, ".seed") || strings.HasSuffix(n, ".key") }},
		{filepath.ToSlash(keyDir), func(string) bool { return true }},
	} {
		entries, err := os.ReadDir(filepath.Join(dataDir, d.dir))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() && d.keep(e.Name()) {
				out = append(out, path.Join(d.dir, e.Name()))
			}
		}
	}
	return out, nil
}
