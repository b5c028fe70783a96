package privacy

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	_ "github.com/caddyserver/caddy/v2/modules/standard" // file_server, reverse_proxy

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
)

// servers runs one real Caddy with two servers over the same folder: the
// onion site (torplus_privacy, then file_server, and /app/* from upstream
// through reverse_proxy) and a plain clearnet file_server, as a clearnet
// copy of the site would be. It returns their base URLs.
func servers(t *testing.T, root, secretFile, upstream string) (onion, clearnet string) {
	t.Helper()
	on, cl := fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t))
	fileServer := map[string]any{"handler": "file_server", "root": root}
	cfg := map[string]any{
		"admin": map[string]any{"disabled": true},
		"apps": map[string]any{"http": map[string]any{"servers": map[string]any{
			"onion": map[string]any{"listen": []string{on}, "automatic_https": map[string]any{"disable": true}, "routes": []any{
				map[string]any{"handle": []any{map[string]any{"handler": "torplus_privacy", "secret_file": secretFile}}},
				map[string]any{"match": []any{map[string]any{"path": []string{"/app/*"}}}, "handle": []any{
					map[string]any{"handler": "reverse_proxy", "upstreams": []any{map[string]any{"dial": upstream}}}}},
				map[string]any{"handle": []any{fileServer}},
			}},
			"clearnet": map[string]any{"listen": []string{cl}, "automatic_https": map[string]any{"disable": true},
				"routes": []any{map[string]any{"handle": []any{fileServer}}}},
		}}},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(raw, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	return "http://" + on, "http://" + cl
}

func get(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// appServer is the owner's application behind reverse_proxy: it sends its
// own ETag (with a comma in it) and a Server header, and answers 304 to
// its own tag.
func appServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1,app"`)
		w.Header().Set("Server", "gunicorn")
		w.Header().Set("X-Powered-By", "Django")
		if r.Header.Get("If-None-Match") == `"v1,app"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "app page")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestNoHeaderLinksToClearnetCopy: a plain Caddy file_server of the same
// folder (the clearnet copy) sends Server: Caddy, a Last-Modified and an
// ETag that name the file; the onion site sends none of the first two
// and a different ETag for the same file, which still revalidates to 304
// — while the clearnet copy's tag, or a date, gets the whole file.
// Proxied answers lose Server, Via and X-Powered-By and keep revalidating.
func TestNoHeaderLinksToClearnetCopy(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "page.html"), []byte("<p>same file on both sites</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "privacy.key")
	onion, clearnet := servers(t, root, secret, appServer(t))

	plain := get(t, clearnet+"/page.html", nil)
	if plain.Header.Get("Server") != "Caddy" || plain.Header.Get("ETag") == "" || plain.Header.Get("Last-Modified") == "" {
		t.Fatalf("the clearnet copy is not the plain Caddy the test compares with: %v", plain.Header)
	}
	site := get(t, onion+"/page.html", nil)
	tag := site.Header.Get("ETag")
	switch {
	case site.StatusCode != http.StatusOK:
		t.Fatalf("onion site: status %d", site.StatusCode)
	case site.Header.Get("Server") != "" || site.Header.Get("Last-Modified") != "" || site.Header.Get("Via") != "":
		t.Fatalf("onion site sends identifying headers: %v", site.Header)
	case tag == "" || tag == plain.Header.Get("ETag") || strings.Contains(tag, strings.Trim(plain.Header.Get("ETag"), `"`)):
		t.Fatalf("onion ETag %q, clearnet %q: want a different tag", tag, plain.Header.Get("ETag"))
	}

	t.Logf("ETag: onion %s, clearnet copy %s", tag, plain.Header.Get("ETag"))
	tests := []struct {
		name string
		path string
		hdr  map[string]string
		want int
	}{
		{"own tag revalidates", "/page.html", map[string]string{"If-None-Match": tag}, http.StatusNotModified},
		{"own tag among others", "/page.html", map[string]string{"If-None-Match": `"x", ` + tag}, http.StatusNotModified},
		{"weak form of own tag", "/page.html", map[string]string{"If-None-Match": "W/" + tag}, http.StatusNotModified},
		{"clearnet copy's tag", "/page.html", map[string]string{"If-None-Match": plain.Header.Get("ETag")}, http.StatusOK},
		{"forged tag", "/page.html", map[string]string{"If-None-Match": `"` + strings.Repeat("A", 40) + `"`}, http.StatusOK},
		{"mtime probe", "/page.html", map[string]string{"If-Modified-Since": plain.Header.Get("Last-Modified")}, http.StatusOK},
		{"If-Match with own tag", "/page.html", map[string]string{"If-Match": tag}, http.StatusOK},
		{"If-Match with clearnet tag", "/page.html", map[string]string{"If-Match": plain.Header.Get("ETag")}, http.StatusPreconditionFailed},
		{"app page", "/app/x", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, onion+tt.path, tt.hdr)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			for _, k := range []string{"Server", "Via", "X-Powered-By", "Last-Modified"} {
				if v := resp.Header.Get(k); v != "" {
					t.Errorf("%s: %q sent", k, v)
				}
			}
		})
	}
	app := get(t, onion+"/app/x", nil).Header.Get("ETag")
	if app == "" || strings.Contains(app, "v1,app") {
		t.Fatalf("proxied ETag %q: want it sealed", app)
	}
	if resp := get(t, onion+"/app/x", map[string]string{"If-None-Match": app}); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("proxied page revalidated with its sealed tag: %d, want 304", resp.StatusCode)
	}
}
