package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// TestDeployCaddyfileServesLikeServe: deploy/base/Caddyfile's onion site
// runs the handlers "hoster serve --root" runs, in the same order —
// privacy, metering, attention, cache control, image copies, the file
// server — and serves the files from a torplus_precompressed file system
// whose copies are kept in the data volume, with the same compressed
// encodings in the same order. A provider's site is neither slower nor
// without attention (so without revenue split) than an owner's.
func TestDeployCaddyfileServesLikeServe(t *testing.T) {
	text, err := os.ReadFile("../deploy/base/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TORPLUS_PAY_TO", testDestination)
	t.Setenv("TORPLUS_ASSET_ISSUER", testIssuer)
	deployed, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt(text, nil)
	if err != nil {
		t.Fatalf("adapting the Caddyfile: %v %v", err, warn)
	}
	dataDir := t.TempDir()
	cfg, err := serveConfig(serveOptions{root: siteDir, dataDir: dataDir, admin: "off",
		meter: meterOptions{payTo: testDestination, assetIssuer: testIssuer}})
	if err != nil {
		t.Fatal(err)
	}
	served, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	want := siteHandlers(t, served, "unix/"+filepath.Join(dataDir, "http.sock"))
	if got := siteHandlers(t, deployed, "unix//var/lib/torplus/http.sock"); !reflect.DeepEqual(got, want) {
		t.Errorf("deploy/base/Caddyfile's onion site runs %v, hoster serve %v", got, want)
	}
	if len(want) < 6 {
		t.Fatalf("hoster serve's onion site runs only %v: the comparison is blind", want)
	}

	var fs struct {
		Root  string `json:"root"`
		Cache string `json:"cache"`
	}
	if !findHandlerOf(t, deployed, "backend", "torplus_precompressed", &fs) {
		t.Fatal("deploy/base/Caddyfile has no torplus_precompressed file system")
	}
	if fs.Root != "/srv/site" || !strings.HasPrefix(fs.Cache, "/var/lib/torplus/") {
		t.Errorf("torplus_precompressed root %q cache %q: want /srv/site, cached in the data volume", fs.Root, fs.Cache)
	}
	for _, c := range []struct {
		name   string
		config []byte
	}{{"deploy/base/Caddyfile", deployed}, {"hoster serve", served}} {
		var f struct {
			FS    string   `json:"fs"`
			Order []string `json:"precompressed_order"`
		}
		if !findHandler(t, c.config, "file_server", &f) {
			t.Fatalf("%s: no file_server", c.name)
		}
		if f.FS == "" || !reflect.DeepEqual(f.Order, []string{"br", "zstd", "gzip"}) {
			t.Errorf("%s: file_server fs %q, precompressed %v; want the precompressed file system, br zstd gzip", c.name, f.FS, f.Order)
		}
	}
}

// siteHandlers are the names of the handlers of the server listening on
// listen, in the order a request meets them, but for Caddy's own
// bookkeeping (vars, subroute, headers).
func siteHandlers(t *testing.T, config []byte, listen string) []string {
	t.Helper()
	var c struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Listen []string `json:"listen"`
					Routes any      `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(config, &c); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Apps.HTTP.Servers {
		if len(s.Listen) == 1 && s.Listen[0] == listen {
			return handlerNames(s.Routes)
		}
	}
	t.Fatalf("no server listens on %s", listen)
	return nil
}

// handlerNames walks routes in order (arrays in order; an object's
// fields by name, since only a subroute nests handlers).
func handlerNames(n any) []string {
	var out []string
	switch n := n.(type) {
	case map[string]any:
		if h, ok := n["handler"].(string); ok && h != "vars" && h != "subroute" && h != "headers" {
			out = append(out, h)
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, handlerNames(n[k])...)
		}
	case []any:
		for _, c := range n {
			out = append(out, handlerNames(c)...)
		}
	}
	return out
}
