package meter

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
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
	_ "github.com/caddyserver/caddy/v2/modules/standard" // file_server, reverse_proxy, proxy_protocol
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/identity"
)

// testTerms are the payment terms of the test servers.
var (
	testDest   = keypair.MustRandom().Address()
	testIssuer = keypair.MustRandom().Address()
)

// site is a running Caddy with metered servers, started from JSON.
type site struct {
	t     testing.TB
	dir   string // web root
	admin string // admin address
	ports map[string]string
	cfg   map[string]any
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSite loads a Caddy config with one server per entry of zones (name
// → torplus handler JSON), each behind the proxy_protocol listener wrapper
// and serving dir with file_server (and /proxy/* from upstream if set).
func startSite(t testing.TB, zones map[string]map[string]any, upstream string) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), admin: freeAddr(t), ports: map[string]string{}}
	servers := map[string]any{}
	for name, h := range zones {
		s.ports[name] = freeAddr(t)
		h["handler"] = "torplus"
		h["zone"] = name
		if _, ok := h["store"]; !ok {
			h["store"] = map[string]any{"driver": "sqlite", "dsn": filepath.Join(s.dir, "..", name+".db"), "flush_interval": "50ms"}
		}
		for k, v := range map[string]any{"price": "2.5", "destination": testDest, "asset_issuer": testIssuer} {
			if _, ok := h[k]; !ok {
				h[k] = v
			}
		}
		routes := []any{map[string]any{"handle": []any{h}}}
		if upstream != "" {
			routes = append(routes, map[string]any{
				"match":  []any{map[string]any{"path": []string{"/proxy/*"}}},
				"handle": []any{map[string]any{"handler": "reverse_proxy", "upstreams": []any{map[string]any{"dial": upstream}}}},
			})
		}
		if name != "plain" {
			routes = append(routes, map[string]any{"handle": []any{map[string]any{"handler": "file_server", "root": s.dir}}})
		} else {
			routes = []any{map[string]any{"handle": []any{map[string]any{"handler": "file_server", "root": s.dir}}}}
		}
		servers[name] = map[string]any{
			"listen":            []string{s.ports[name]},
			"listener_wrappers": []any{map[string]any{"wrapper": "proxy_protocol", "timeout": "5s", "allow": []string{"127.0.0.1/32"}}},
			"routes":            routes,
			"automatic_https":   map[string]any{"disable": true},
		}
	}
	cfg := map[string]any{
		"admin":   map[string]any{"listen": s.admin},
		"logging": map[string]any{"logs": map[string]any{"default": map[string]any{"level": "ERROR"}}},
		"storage": map[string]any{"module": "file_system", "root": filepath.Join(s.dir, "..", "caddy-storage")},
		"apps":    map[string]any{"http": map[string]any{"servers": servers}},
	}
	s.cfg = cfg
	s.load(cfg)
	t.Cleanup(func() { caddy.Stop() })
	return s
}

func (s *site) load(cfg map[string]any) {
	s.t.Helper()
	js, err := json.Marshal(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := caddy.Load(js, true); err != nil {
		s.t.Fatalf("caddy.Load: %v", err)
	}
}

// file writes a file of n pseudo-random bytes into the web root.
func (s *site) file(name string, n int) []byte {
	s.t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(filepath.Join(s.dir, name), b, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return b
}

// client is an HTTP client whose connections start with a PROXY v1 header
// as tor's HiddenServiceExportCircuitID haproxy sends it.
type client struct {
	*http.Client
	token string
}

// circuitAddr is the address tor gives circuit id.
func circuitAddr(id uint32) string {
	return fmt.Sprintf("fc00:dead:beef:4dad::%x:%x", id>>16, id&0xffff)
}

// newClient returns a client on tor circuit id (or, if src is set, a
// clearnet source address) with an optional session token.
func newClient(circuit uint32, src string, token string) *client {
	line := fmt.Sprintf("PROXY TCP6 %s ::1 %d 80\r\n", circuitAddr(circuit), circuit&0xffff)
	if src != "" {
		line = fmt.Sprintf("PROXY TCP4 %s 127.0.0.1 40000 80\r\n", src)
	}
	tr := &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(c, line); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	}
	return &client{Client: &http.Client{Transport: tr, Timeout: 60 * time.Second}, token: token}
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// request is a GET of url with the client's token and extra header pairs.
func (c *client) request(t testing.TB, url string, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("TorPlus-Session", c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// get fetches url with extra header pairs and returns the response with
// its whole body read.
func (c *client) get(t testing.TB, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(c.request(t, url, hdr...))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, body
}

// url returns the URL of path on the zone's server.
func (s *site) url(zone, path string) string { return "http://" + s.ports[zone] + path }

// sessions lists the sessions of zone through the admin API.
func (s *site) sessions(zone string) map[string]SessionInfo {
	s.t.Helper()
	var list []SessionInfo
	s.adminGet("/torplus/sessions?zone="+zone, &list)
	out := map[string]SessionInfo{}
	for _, x := range list {
		out[x.Client] = x
	}
	return out
}

func (s *site) adminGet(path string, v any) {
	s.t.Helper()
	resp, err := http.Get("http://" + s.admin + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("admin %s: %s %s", path, resp.Status, b)
	}
	if v == nil {
		return
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatal(err)
	}
}

// metric returns the value of a Prometheus sample line from the admin /metrics.
func (s *site) metric(prefix string) string {
	s.t.Helper()
	resp, err := http.Get("http://" + s.admin + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix+" ") {
			return strings.TrimPrefix(line, prefix+" ")
		}
	}
	return ""
}

// servedTo waits (briefly, bounded) until the admin API shows want bytes
// served to client, since the count lands just after the bytes leave the
// server, and returns the last count seen.
func (s *site) servedTo(zone, client string, want int64) int64 {
	s.t.Helper()
	var got int64
	for range 100 {
		if got = s.sessions(zone)[client].BytesServed; got >= want {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

// fetch gets url like get but tolerates a cut response: it returns the
// status, how many body bytes arrived and the error that ended the body
// (nil if it arrived whole).
func (c *client) fetch(t testing.TB, url string, hdr ...string) (status int, n int64, err error) {
	t.Helper()
	resp, err := c.Do(c.request(t, url, hdr...))
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n, err
}

// circuitKey is the key text of circuit n on the test servers: their TCP
// listeners are no tor's, so their circuits carry this process's epoch.
func circuitKey(n uint32) string {
	return identity.CircuitKey(identity.EpochOf("127.0.0.1:0"), n).String()
}
