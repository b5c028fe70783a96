package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/torplus/torplus/caddy-module/precompress"
)

// siteFS is the name of the file system --root is served from.
const siteFS = "torplus_site"

// siteFilesystem is the caddy.filesystems app with the folder of --root
// as a torplus_precompressed file system: brotli, zstd and gzip copies of
// its text files and WebP copies of its JPEG and PNG images in
// <data dir>/precompressed.
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

// staticSite serves the folder root: torplus_cache_control (a year for
// fingerprinted assets, revalidation for the rest), torplus_image_copies
// (an image's WebP copy for a client whose Accept names it), then
// file_server on siteFS, sending the compressed copy that the request's
// Accept-Encoding prefers.
func staticSite(root string) json.RawMessage {
	fileServer := caddyconfig.JSONModuleObject(map[string]any{
		"root":                root,
		"fs":                  siteFS,
		"hide":                []string{".*"}, // no dotfiles (.git, .env …) on the onion site
		"precompressed":       map[string]any{"br": map[string]any{}, "zstd": map[string]any{}, "gzip": map[string]any{}},
		"precompressed_order": []string{"br", "zstd", "gzip"},
	}, "handler", "file_server", nil)
	return caddyconfig.JSONModuleObject(map[string]any{"routes": []map[string]any{{"handle": []json.RawMessage{
		caddyconfig.JSONModuleObject(struct{}{}, "handler", "torplus_cache_control", nil),
		caddyconfig.JSONModuleObject(precompress.ImageCopies{FileSystem: siteFS, Root: root}, "handler", "torplus_image_copies", nil),
		fileServer,
	}}}}, "handler", "subroute", nil)
}
