// Package attentiontest runs a real Caddy, in-process, for the tests of
// the attention, revenue and dashboard modules: the Caddyfile is adapted
// and loaded exactly as `caddy run` would, with listeners on 127.0.0.1
// at free ports.
package attentiontest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile" // the caddyfile adapter
	_ "github.com/caddyserver/caddy/v2/modules/standard"          // file_server, root …
)

// Server is a running Caddy.
type Server struct {
	// Site is the base URL of the site (http://127.0.0.1:port).
	Site string
	// Admin is the base URL of the admin API.
	Admin string
	// Config is the loaded JSON config, for reloading it.
	Config []byte
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs Caddy with a Caddyfile made of global options and one site
// block body; Start supplies the admin and site addresses. Caddy stops
// when the test ends.
func Start(t testing.TB, globals, site string) *Server {
	t.Helper()
	adminPort, sitePort := FreePort(t), FreePort(t)
	cf := fmt.Sprintf("{\n\tadmin 127.0.0.1:%d\n\tpersist_config off\n\tlog {\n\t\tlevel WARN\n\t}\n%s\n}\n\nhttp://127.0.0.1:%d {\n%s\n}\n",
		adminPort, globals, sitePort, site)
	cfg, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatalf("adapting Caddyfile: %v\n%s", err, cf)
	}
	for _, w := range warn {
		if !strings.Contains(w.Message, "formatted") {
			t.Logf("Caddyfile warning: %s", w.Message)
		}
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading Caddy config: %v\n%s", err, cfg)
	}
	t.Cleanup(func() {
		if err := caddy.Stop(); err != nil {
			t.Errorf("stopping Caddy: %v", err)
		}
	})
	s := &Server{Site: fmt.Sprintf("http://127.0.0.1:%d", sitePort), Admin: fmt.Sprintf("http://127.0.0.1:%d", adminPort), Config: cfg}
	// Bounded wait for the listener.
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(s.Admin + "/config/"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("Caddy's admin API at %s did not answer", s.Admin)
	return nil
}
