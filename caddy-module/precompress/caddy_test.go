package precompress

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/cachecontrol"
	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/meter"
)

// TestMeteredThroughCaddy runs a real Caddy as `hoster serve` sets it up
// (the meter before file_server, which reads this file system with
// precompressed br zstd gzip) and fetches the stylesheet as metered
// sessions with each Accept-Encoding: the response carries the copy the
// client prefers, and the meter charges the session exactly the bytes
// that went out, the compressed length.
func TestMeteredThroughCaddy(t *testing.T) {
	root := site(t)
	cache := filepath.Join(t.TempDir(), "precompressed")
	srv := meteredSite(t, root, cache)
	for _, suffix := range []string{".br", ".zst", ".gz"} { // wait for the copies
		waitCopyFile(t, filepath.Join(cache, "css/site.css"+suffix))
	}
	copyLen := func(suffix string) int64 {
		info, err := os.Stat(filepath.Join(cache, "css/site.css"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	for _, tc := range []struct {
		accept, wantEncoding string
		wantLen              int64
	}{
		{"gzip, deflate, br, zstd", "br", copyLen(".br")}, // Tor Browser's, to an onion
		{"gzip, deflate, zstd", "zstd", copyLen(".zst")},
		{"gzip, deflate", "gzip", copyLen(".gz")}, // Chromium's, over plain http
		{"", "", int64(len(css))},
		{"br;q=0, gzip", "gzip", copyLen(".gz")},
	} {
		t.Run(strconv.Quote(tc.accept), func(t *testing.T) {
			resp, body, token := get(t, "GET", srv.Site+"/css/site.css", "Accept-Encoding", tc.accept)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.wantEncoding || int64(len(body)) != tc.wantLen {
				t.Fatalf("%s, Content-Encoding %q, %d bytes; want 200, %q, %d", resp.Status,
					resp.Header.Get("Content-Encoding"), len(body), tc.wantEncoding, tc.wantLen)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
				t.Fatalf("Content-Type %q, want the stylesheet's", ct)
			}
			waitServed(t, srv.Admin, token, tc.wantLen)
		})
	}
}

// waitCopyFile waits (bounded) for a copy to be in the cache.
func waitCopyFile(t *testing.T, path string) {
	t.Helper()
	for range 3000 { // 30 s: the worker runs at nice 10, slow on a busy machine
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was not made within 30 s", path)
}

// newToken is a fresh TorPlus-Session token, a fresh metered session.
func newToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, identity.TokenSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// servedTo is the bytes the meter charged the session of token, from the
// admin API.
func servedTo(t *testing.T, admin, token string) int64 {
	t.Helper()
	resp, err := http.Get(admin + "/torplus/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sessions []meter.SessionInfo
	if err := json.NewDecoder(resp.Body).Decode(&sessions); err != nil {
		t.Fatal(err)
	}
	sum, err := identity.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	key := identity.SessionKey(sum).String()
	for _, s := range sessions {
		if s.Client == key {
			return s.BytesServed
		}
	}
	t.Fatalf("no session %s among %d", key, len(sessions))
	return 0
}

// imageSite is an owner's folder with the example site's images: a
// fingerprinted photograph, one that is not, and a PNG.
func imageSite(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, from := range map[string]string{
		"img/field.92f1c85100.jpg": "field.92f1c85100.jpg",
		"img/photo.jpg":            "harvest.8e39b2cca4.jpg",
		"img/onion.png":            "onion.png",
	} {
		b, err := os.ReadFile(filepath.Join("../../www-example/img", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, "img"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// meteredSite runs a real Caddy as `hoster serve` sets it up: the meter,
// torplus_cache_control, torplus_image_copies, file_server on this file
// system with precompressed br zstd gzip.
func meteredSite(t *testing.T, root, cache string) *attentiontest.Server {
	t.Helper()
	return attentiontest.Start(t, fmt.Sprintf("\tfilesystem site torplus_precompressed {\n\t\troot %s\n\t\tcache %s\n\t}", root, cache),
		fmt.Sprintf(`	root * %s
	route {
		torplus {
			price 1
			destination %s
			asset TPT %s
			allow_clearnet
			store sqlite %s
		}
		torplus_cache_control
		torplus_image_copies {
			fs site
		}
		file_server {
			fs site
			precompressed br zstd gzip
		}
	}`, root, keypair.MustRandom().Address(), keypair.MustRandom().Address(), filepath.Join(t.TempDir(), "store.db")))
}

// get makes one request as a fresh metered session, with the headers
// given as name, value pairs, and returns the answer and its body.
func get(t *testing.T, method, url string, header ...string) (*http.Response, []byte, string) {
	t.Helper()
	token := newToken(t)
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set(identity.SessionHeader, token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, body, token
}

// TestImageCopiesThroughCaddy: through a real Caddy, a browser that names
// WebP in its Accept gets the image's WebP copy, sent from the cache as
// the file it is (the meter charges its length), with an ETag of its own
// that If-None-Match and If-Range compare, Range and HEAD answered on the
// copy, the Cache-Control of the image's own name, and Vary: Accept; a
// client that does not name WebP, or weighs it below the image's type,
// gets the original with its own ETag.
func TestImageCopiesThroughCaddy(t *testing.T) {
	root := imageSite(t)
	cache := filepath.Join(t.TempDir(), "precompressed")
	srv := meteredSite(t, root, cache)
	for _, name := range []string{"img/field.92f1c85100.jpg", "img/photo.jpg", "img/onion.png"} {
		waitCopyFile(t, filepath.Join(cache, name+".webp"))
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	field := srv.Site + "/img/field.92f1c85100.jpg"
	jpg, webpCopy := read(filepath.Join(root, "img/field.92f1c85100.jpg")), read(filepath.Join(cache, "img/field.92f1c85100.jpg.webp"))
	resp, _, _ := get(t, "GET", field, "Accept", chromiumAccept)
	webpTag := resp.Header.Get("ETag")
	resp, _, _ = get(t, "GET", field, "Accept", "*/*")
	jpgTag := resp.Header.Get("ETag")
	if webpTag == "" || jpgTag == "" || webpTag == jpgTag {
		t.Fatalf("ETags %q (WebP) and %q (JPEG): want two, distinct", webpTag, jpgTag)
	}
	tests := []struct {
		name, method string
		header       []string
		status       int
		typ          string
		body         []byte
		tag          string
	}{
		{"Chromium", "GET", []string{"Accept", chromiumAccept}, 200, "image/webp", webpCopy, webpTag},
		{"Tor Browser", "GET", []string{"Accept", firefoxAccept, "Accept-Encoding", "gzip, deflate, br, zstd"}, 200, "image/webp", webpCopy, webpTag},
		{"curl", "GET", []string{"Accept", "*/*"}, 200, "image/jpeg", jpg, jpgTag},
		{"no Accept", "GET", nil, 200, "image/jpeg", jpg, jpgTag},
		{"WebP refused", "GET", []string{"Accept", "image/webp;q=0, */*"}, 200, "image/jpeg", jpg, jpgTag},
		{"JPEG preferred", "GET", []string{"Accept", "image/jpeg, image/webp;q=0.5"}, 200, "image/jpeg", jpg, jpgTag},
		{"HEAD", "HEAD", []string{"Accept", chromiumAccept}, 200, "image/webp", nil, webpTag},
		{"Range", "GET", []string{"Accept", chromiumAccept, "Range", "bytes=0-99"}, 206, "image/webp", webpCopy[:100], webpTag},
		{"Range, original", "GET", []string{"Accept", "*/*", "Range", "bytes=100-"}, 206, "image/jpeg", jpg[100:], jpgTag},
		{"If-Range, the copy's tag", "GET", []string{"Accept", chromiumAccept, "Range", "bytes=0-9", "If-Range", webpTag}, 206, "image/webp", webpCopy[:10], webpTag},
		{"If-Range, the original's tag", "GET", []string{"Accept", chromiumAccept, "Range", "bytes=0-9", "If-Range", jpgTag}, 200, "image/webp", webpCopy, webpTag},
		{"If-None-Match, the copy's tag", "GET", []string{"Accept", chromiumAccept, "If-None-Match", webpTag}, 304, "", nil, webpTag},
		{"If-None-Match, the copy's tag, no WebP", "GET", []string{"Accept", "*/*", "If-None-Match", webpTag}, 200, "image/jpeg", jpg, jpgTag},
		{"If-None-Match, the original's tag", "GET", []string{"Accept", "*/*", "If-None-Match", jpgTag}, 304, "", nil, jpgTag},
		{"If-None-Match, the original's tag, WebP", "GET", []string{"Accept", chromiumAccept, "If-None-Match", jpgTag}, 200, "image/webp", webpCopy, webpTag},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, token := get(t, tc.method, field, tc.header...)
			if resp.StatusCode != tc.status || !bytes.Equal(body, tc.body) {
				t.Fatalf("%s, %d bytes; want %d, %d bytes", resp.Status, len(body), tc.status, len(tc.body))
			}
			if tc.typ != "" && resp.Header.Get("Content-Type") != tc.typ {
				t.Fatalf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.typ)
			}
			if got := resp.Header.Get("ETag"); got != tc.tag {
				t.Fatalf("ETag %q, want %q", got, tc.tag)
			}
			if vary := strings.Join(resp.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") || !slices.Contains(strings.Split(vary, ", "), "Accept") {
				t.Fatalf("Vary %q, want Accept and Accept-Encoding", vary)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != cachecontrol.Immutable {
				t.Fatalf("Cache-Control %q, want the fingerprinted name's %q", cc, cachecontrol.Immutable)
			}
			if tc.method == "HEAD" && resp.ContentLength != int64(len(webpCopy)) {
				t.Fatalf("HEAD: Content-Length %d, want the copy's %d", resp.ContentLength, len(webpCopy))
			}
			if tc.status == 200 && tc.method == "GET" {
				waitServed(t, srv.Admin, token, int64(len(body)))
			}
		})
	}
	// a name that is not fingerprinted keeps no-cache; the PNG gets its
	// (lossless) copy
	resp, body, _ := get(t, "GET", srv.Site+"/img/onion.png", "Accept", chromiumAccept)
	if resp.Header.Get("Content-Type") != "image/webp" || !bytes.Equal(body, read(filepath.Join(cache, "img/onion.png.webp"))) ||
		resp.Header.Get("Cache-Control") != cachecontrol.Revalidated {
		t.Fatalf("onion.png: %s %q, %d bytes, Cache-Control %q", resp.Status, resp.Header.Get("Content-Type"), len(body), resp.Header.Get("Cache-Control"))
	}
}

// TestImageChangedWhileServed: the owner replaces an image; the next
// request gets the new image itself, never the old one's copy, until the
// new copy is made, which is then sent.
func TestImageChangedWhileServed(t *testing.T) {
	root := imageSite(t)
	cache := filepath.Join(t.TempDir(), "precompressed")
	srv := meteredSite(t, root, cache)
	copyPath := filepath.Join(cache, "img/photo.jpg.webp")
	waitCopyFile(t, copyPath)
	old, _ := os.ReadFile(copyPath)
	url := srv.Site + "/img/photo.jpg"
	if resp, body, _ := get(t, "GET", url, "Accept", chromiumAccept); resp.Header.Get("Content-Type") != "image/webp" || !bytes.Equal(body, old) {
		t.Fatalf("before the change: %q, %d bytes", resp.Header.Get("Content-Type"), len(body))
	}
	replacement, err := os.ReadFile("../../www-example/img/market.fb0dfe3524.jpg")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "img/photo.jpg")
	if err := os.WriteFile(src, replacement, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	os.Chtimes(src, later, later)
	resp, body, _ := get(t, "GET", url, "Accept", chromiumAccept)
	if resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(body, replacement) {
		t.Fatalf("right after the change: %q, %d bytes; want the new JPEG's %d", resp.Header.Get("Content-Type"), len(body), len(replacement))
	}
	for range 3000 { // 30 s: the worker runs at nice 10, slow on a busy machine
		resp, body, _ = get(t, "GET", url, "Accept", chromiumAccept)
		if resp.Header.Get("Content-Type") == "image/webp" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	now, _ := os.ReadFile(copyPath)
	if resp.Header.Get("Content-Type") != "image/webp" || !bytes.Equal(body, now) || bytes.Equal(now, old) {
		t.Fatalf("after the new copy: %q, %d bytes (copy %d, old copy %d)", resp.Header.Get("Content-Type"), len(body), len(now), len(old))
	}
}

// waitServed waits (bounded) until the meter has charged token's session
// want bytes (it counts after the last write, which the client may read
// first), and fails if it charged anything else.
func waitServed(t *testing.T, admin, token string, want int64) {
	t.Helper()
	var served int64
	for range 100 {
		if served = servedTo(t, admin, token); served == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the meter charged %d bytes, want the %d that went out", served, want)
}
