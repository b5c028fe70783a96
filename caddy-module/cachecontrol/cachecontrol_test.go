package cachecontrol

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
)

// TestFingerprinted: a hash of 8 or more lowercase hex digits after a dot
// or hyphen, right before the extension, and nothing else.
func TestFingerprinted(t *testing.T) {
	for path, want := range map[string]bool{
		"/js/app.3f9a2c1b.js":                  true,
		"/img/photo-3f9a2c1b0d.jpg":            true,
		"/fonts/literata-400.a60c193b55.woff2": true,
		"/js/alpine-3.14.9.3ed1eed252.js":      true,
		"/js/app.3f9a2c1.js":                   false, // 7 digits
		"/js/app.3F9A2C1B.js":                  false, // upper case is not how bundlers write it
		"/js/app3f9a2c1b.js":                   false, // no separator
		"/3f9a2c1b.js":                         false, // the hash is the whole name
		"/js/app.3f9a2c1b":                     false, // no extension
		"/js/app.3f9a2c1b.":                    false,
		"/css/site.css":                        false,
		"/":                                    false,
		"":                                     false,
		"/a.3f9a2c1b.tar.gz":                   false, // the hash is not right before the extension
		"/dir.3f9a2c1b3f9a2c1b/index.html":     false,
	} {
		if got := Fingerprinted(path); got != want {
			t.Errorf("Fingerprinted(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestThroughCaddy: behind a real Caddy's file_server, fingerprinted
// assets get a year, other files revalidation, a 304 the same as its 200,
// and a missing asset (404) or a refused method (405) none at all.
func TestThroughCaddy(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"app.3f9a2c1b.js", "site.css"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := attentiontest.Start(t, "", "\troot * "+root+"\n\ttorplus_cache_control\n\tfile_server\n")
	etag := func(path string) string {
		resp, err := http.Get(srv.Site + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Etag")
	}
	for _, tc := range []struct {
		method, path, ifNoneMatch string
		status                    int
		want                      string
	}{
		{"GET", "/app.3f9a2c1b.js", "", 200, Immutable},
		{"HEAD", "/app.3f9a2c1b.js", "", 200, Immutable},
		{"GET", "/app.3f9a2c1b.js", etag("/app.3f9a2c1b.js"), 304, Immutable},
		{"GET", "/site.css", "", 200, Revalidated},
		{"GET", "/site.css", etag("/site.css"), 304, Revalidated},
		{"GET", "/gone.0123456789.js", "", 404, ""},
		{"POST", "/app.3f9a2c1b.js", "", 405, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.Site+tc.path, strings.NewReader(""))
		if tc.ifNoneMatch != "" {
			req.Header.Set("If-None-Match", tc.ifNoneMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Cache-Control") != tc.want {
			t.Errorf("%s %s: %d, Cache-Control %q; want %d, %q", tc.method, tc.path, resp.StatusCode,
				resp.Header.Get("Cache-Control"), tc.status, tc.want)
		}
	}
}

// TestUnmarshalCaddyfile: the directive takes nothing, and says so.
func TestUnmarshalCaddyfile(t *testing.T) {
	for input, want := range map[string]string{
		"torplus_cache_control":               "",
		"torplus_cache_control 1y":            "wrong argument count",
		"torplus_cache_control {\n max 1y\n}": `takes no options (got "max")`,
	} {
		err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", input, err, want)
		}
	}
}
