package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/torplus/torplus/caddy-module/precompress"
	"github.com/torplus/torplus/internal/sitecache"
)

// siteFS is the name of the file system --root is served from.
const siteFS = "torplus_site"

// siteFilesystem is the caddy.filesystems app with the folder of --root
// as a torplus_precompressed file system: brotli, zstd and gzip copies of
// its text files in <data dir>/precompressed.
func siteFilesystem(root, dataDir string) (json.RawMessage, error) {
	abs, err := filepath.Abs(rootOrDot(root))
	if err != nil {
		return nil, err
	}
	fs := precompress.FS{Root: abs, Cache: filepath.Join(dataDir, "precompressed")}
	return caddyconfig.JSON(map[string]any{"filesystems": []map[string]any{{
		"name":        siteFS,
		"file_system": caddyconfig.JSONModuleObject(fs, "backend", "torplus_precompressed", nil),
	}}}, nil), nil
}

// staticSite serves the folder root: Cache-Control by fingerprint
// (package sitecache), then file_server on siteFS, sending the compressed copy that the
// request's Accept-Encoding prefers.
func staticSite(root string) json.RawMessage {
	fingerprinted := matcherSet{"path_regexp": map[string]string{"pattern": sitecache.FingerprintPattern}}
	cacheControl := func(v string) json.RawMessage {
		return caddyconfig.JSONModuleObject(map[string]any{"response": map[string]any{
			"set":     map[string][]string{"Cache-Control": {v}},
			"require": map[string]any{"status_code": []int{2, 304}},
		}}, "handler", "headers", nil)
	}
	fileServer := caddyconfig.JSONModuleObject(map[string]any{
		"root":                root,
		"fs":                  siteFS,
		"hide":                []string{".*"}, // no dotfiles (.git, .env …) on the onion site
		"precompressed":       map[string]any{"br": map[string]any{}, "zstd": map[string]any{}, "gzip": map[string]any{}},
		"precompressed_order": []string{"br", "zstd", "gzip"},
	}, "handler", "file_server", nil)
	return caddyconfig.JSONModuleObject(map[string]any{"routes": []map[string]any{
		{"match": []matcherSet{fingerprinted}, "handle": []json.RawMessage{cacheControl(sitecache.Immutable)}},
		{"match": []matcherSet{{"not": []matcherSet{fingerprinted}}}, "handle": []json.RawMessage{cacheControl(sitecache.Revalidated)}},
		{"handle": []json.RawMessage{fileServer}},
	}}, "handler", "subroute", nil)
}

// matcherSet is one matcher set of a route's "match" list.
type matcherSet = map[string]any
