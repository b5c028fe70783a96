package precompress

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
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
	srv := attentiontest.Start(t, fmt.Sprintf("\tfilesystem site torplus_precompressed {\n\t\troot %s\n\t\tcache %s\n\t}", root, cache),
		fmt.Sprintf(`	root * %s
	route {
		torplus {
			price 1
			destination %s
			asset TPT %s
			allow_clearnet
			store sqlite %s
		}
		file_server {
			fs site
			precompressed br zstd gzip
		}
	}`, root, keypair.MustRandom().Address(), keypair.MustRandom().Address(), filepath.Join(t.TempDir(), "store.db")))
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
			token := newToken(t)
			req, _ := http.NewRequest("GET", srv.Site+"/css/site.css", nil)
			req.Header.Set(identity.SessionHeader, token)
			req.Header.Set("Accept-Encoding", tc.accept)
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.wantEncoding || int64(len(body)) != tc.wantLen {
				t.Fatalf("%s, Content-Encoding %q, %d bytes; want 200, %q, %d", resp.Status,
					resp.Header.Get("Content-Encoding"), len(body), tc.wantEncoding, tc.wantLen)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
				t.Fatalf("Content-Type %q, want the stylesheet's", ct)
			}
			// the handler counts after the last write, which the client
			// may read first: wait (bounded) for the count
			var served int64
			for range 100 {
				if served = servedTo(t, srv.Admin, token); served == tc.wantLen {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if served != tc.wantLen {
				t.Fatalf("the meter charged %d bytes, want the %d that went out", served, tc.wantLen)
			}
		})
	}
}

// waitCopyFile waits (bounded) for a copy to be in the cache.
func waitCopyFile(t *testing.T, path string) {
	t.Helper()
	for range 500 {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was not made within 5 s", path)
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
