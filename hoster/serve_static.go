package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/torplus/torplus/caddy-module/precompress"
)

// siteFS is the name of the file system --root is served from.
const siteFS = "torplus_site"

// FingerprintPattern matches the paths of fingerprinted assets: a content
// hash of at least 8 hex digits before the extension, as bundlers name
// them (app.3f9a2c1b.js, photo-3f9a2c1b0d.jpg). They never change under
// their name, so they are cached for a year without a check.
const FingerprintPattern = `[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$`

// Cache-Control values: fingerprinted assets for a year, the rest
// revalidated on every use (a page edited by the owner shows at once).
const (
	CacheImmutable   = "public, max-age=31536000, immutable"
	CacheRevalidated = "no-cache"
)

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

// staticSite serves the folder root: Cache-Control by fingerprint (set
// only on 2xx and 304 answers, so a missing asset is never cached for a
// year), then file_server on siteFS, sending the compressed copy that the
// request's Accept-Encoding prefers.
func staticSite(root string) json.RawMessage {
	fingerprinted := matcherSet{"path_regexp": map[string]string{"pattern": FingerprintPattern}}
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
		{"match": []matcherSet{fingerprinted}, "handle": []json.RawMessage{cacheControl(CacheImmutable)}},
		{"match": []matcherSet{{"not": []matcherSet{fingerprinted}}}, "handle": []json.RawMessage{cacheControl(CacheRevalidated)}},
		{"handle": []json.RawMessage{fileServer}},
	}}, "handler", "subroute", nil)
}

// matcherSet is one matcher set of a route's "match" list.
type matcherSet = map[string]any
