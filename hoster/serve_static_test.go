package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/torplus/torplus/caddy-module/cachecontrol"
)

// TestServeStaticSite: serve with metering on sends www-example's text
// as the brotli copy it made in the data dir (never in the site's folder)
// when the visitor accepts br, as it is otherwise; fingerprinted assets
// are cached for a year, pages and unhashed files are revalidated, and a
// missing asset is not cached at all. A photograph goes out as its WebP
// copy to a browser whose Accept names WebP, cached as its own name says,
// and as it is otherwise.
func TestServeStaticSite(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "torplus-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "5MB", round: "10MB",
	}})
	const circuit = "PROXY TCP6 fc00:dead:beef:4dad::0:2b ::1 43 80\r\n"
	get := func(path, accept string) (int, string, string, []byte) {
		status, hdr, body := rawExchange(t, sock, circuit, "GET "+path+" HTTP/1.1\r\nHost: x.onion\r\nAccept-Encoding: "+
			accept+"\r\nConnection: close\r\n\r\n")
		return status, hdr.Get("Content-Encoding"), hdr.Get("Cache-Control"), []byte(body)
	}
	css, err := os.ReadFile(filepath.Join(siteDir, "css/site.css"))
	if err != nil {
		t.Fatal(err)
	}
	var enc string
	var body []byte
	for range 1200 { // the copies are made in the background at start, at nice 10 (30 s)
		if _, enc, _, body = get("/css/site.css", "gzip, deflate, br, zstd"); enc == "br" {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if enc != "br" {
		t.Fatalf("Content-Encoding %q after 30 s, want br", enc)
	}
	plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
	if err != nil || !bytes.Equal(plain, css) || len(body) >= len(css)/2 {
		t.Fatalf("the br body (%d bytes) does not decode to the %d-byte stylesheet: %v", len(body), len(css), err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "precompressed", "css", "site.css.br")); err != nil {
		t.Fatalf("no copy in the data dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(siteDir, "css", "site.css.br")); err == nil {
		t.Fatal("a copy was written into the site's folder")
	}
	for _, tc := range []struct {
		path, accept           string
		status                 int
		encoding, cacheControl string
	}{
		{"/css/site.css", "", 200, "", cachecontrol.Revalidated},
		{"/css/site.css", "gzip", 200, "gzip", cachecontrol.Revalidated},
		{"/", "gzip, deflate, br, zstd", 200, "br", cachecontrol.Revalidated},
		{"/img/field.92f1c85100.jpg", "gzip, deflate, br, zstd", 200, "", cachecontrol.Immutable},
		{"/js/alpine-3.14.9.3ed1eed252.js", "gzip, deflate, br, zstd", 200, "br", cachecontrol.Immutable},
		{"/img/missing.0123456789.jpg", "br", 404, "", ""},
		{"/.gitignore", "br", 404, "", ""},
	} {
		var status int
		var enc, cc string
		for range 1200 { // the copy of a file first asked for may be on its way
			if status, enc, cc, _ = get(tc.path, tc.accept); enc == tc.encoding {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if status != tc.status || enc != tc.encoding || cc != tc.cacheControl {
			t.Errorf("GET %s (Accept-Encoding %q): %d, Content-Encoding %q, Cache-Control %q; want %d, %q, %q",
				tc.path, tc.accept, status, enc, cc, tc.status, tc.encoding, tc.cacheControl)
		}
	}
	const chromium = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	image := func(accept string) (http.Header, []byte) {
		status, hdr, body := rawExchange(t, sock, circuit, "GET /img/field.92f1c85100.jpg HTTP/1.1\r\nHost: x.onion\r\nAccept: "+
			accept+"\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nConnection: close\r\n\r\n")
		if status != 200 {
			t.Fatalf("GET the photograph (Accept %q): %d", accept, status)
		}
		return hdr, []byte(body)
	}
	var hdr http.Header
	for range 1200 { // the copy is made in the background at start (30 s)
		if hdr, body = image(chromium); hdr.Get("Content-Type") == "image/webp" {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	webpCopy, err := os.ReadFile(filepath.Join(dataDir, "precompressed", "img", "field.92f1c85100.jpg.webp"))
	if err != nil || hdr.Get("Content-Type") != "image/webp" || !bytes.Equal(body, webpCopy) ||
		hdr.Get("Cache-Control") != cachecontrol.Immutable || !slices.Contains(strings.Split(strings.Join(hdr.Values("Vary"), ", "), ", "), "Accept") {
		t.Fatalf("the photograph for Chromium: %q, %d bytes (copy: %d, %v), Cache-Control %q, Vary %q",
			hdr.Get("Content-Type"), len(body), len(webpCopy), err, hdr.Get("Cache-Control"), hdr.Values("Vary"))
	}
	if hdr, body = image("*/*"); hdr.Get("Content-Type") != "image/jpeg" || len(body) <= len(webpCopy) {
		t.Fatalf("the photograph for */*: %q, %d bytes, want the JPEG", hdr.Get("Content-Type"), len(body))
	}
}
