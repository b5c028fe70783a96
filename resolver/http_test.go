package resolver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/torplus/torplus/internal/dnstest"
	"github.com/torplus/torplus/internal/enstest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// apiAnswer is a response of the resolve API, decoded both ways.
type apiAnswer struct {
	status int
	cache  string
	ok     ResolveResponse
	fail   ResolveError
}

func get(t *testing.T, srv *httptest.Server, method, host string) apiAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+ResolvePath+"?host="+url.QueryEscape(host), nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := apiAnswer{status: resp.StatusCode, cache: resp.Header.Get("Cache-Control")}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &a.ok); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	json.Unmarshal(raw, &a.fail)
	return a
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	idA, idB, idE := newID(t), newID(t), newID(t)
	env := dnstest.Start(t, "example.test.", `torplus.match IN TXT "torplus=`+string(idA)+`"`)
	owner := enstest.NewKey(t)
	chain := enstest.Start(t, owner)
	chain.Register(t, "video.torplus.eth", owner, chain.Resolver)
	chain.SetContenthash(t, "video.torplus.eth", owner, idE.ContentHash())
	cl, err := ethclient.Dial(chain.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	clock := &fakeClock{t: time.Now()}
	dnsr := &DNS{Server: env.Knot.Addr, Anchor: env.Anchor}
	h := NewHandler(&Resolver{DNS: dnsr, ENS: &ENS{Backend: cl, Registry: chain.Registry}})
	h.Cache.Now = clock.Now
	mux := http.NewServeMux()
	mux.Handle(ResolvePath, h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	a := get(t, srv, "GET", "torplus.match.example.test")
	if a.status != 200 || a.ok.Onion != idA.Hostname() || a.ok.Cached || a.ok.TTL != 300 || a.ok.DNSSEC != DNSSECValidated ||
		a.ok.Source != SourceDNS || a.ok.URL != "http://"+idA.Hostname()+"/" || a.cache != "max-age=300" {
		t.Fatalf("first answer: %+v", a)
	}

	// The record changes at the server; the cache keeps the old answer
	// until its TTL has run out, then asks again.
	u := &DNSUpdate{Server: env.Knot.Addr, Zone: "example.test", Key: &TSIGKey{env.Knot.TSIG.Name, env.Knot.TSIG.Algorithm, env.Knot.TSIG.Secret}}
	c, err := u.Plan(ctx, "match.example.test", idB)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	clock.Add(299 * time.Second)
	if a = get(t, srv, "GET", "Match.Example.Test."); a.ok.Onion != idA.Hostname() || !a.ok.Cached || a.ok.TTL != 1 {
		t.Fatalf("within the TTL: %+v", a)
	}
	clock.Add(time.Second)
	if a = get(t, srv, "GET", "torplus.match.example.test"); a.ok.Onion != idB.Hostname() || a.ok.Cached {
		t.Fatalf("after the TTL: %+v", a)
	}

	// Absence is cached for the zone's negative TTL (SOA minimum, 60 s).
	if a = get(t, srv, "GET", "torplus.nothing.example.test"); a.status != 404 || a.fail.Result != "no-record" || a.cache != "max-age=60" {
		t.Fatalf("missing: %+v", a)
	}
	if a = get(t, srv, "GET", "video.torplus.eth"); a.status != 200 || a.ok.Onion != idE.Hostname() || a.ok.Source != SourceENS {
		t.Fatalf("ens: %+v", a)
	}
	for _, bad := range []string{"", "no spaces.example", "localhost"} {
		if a = get(t, srv, "GET", bad); a.status != 400 || a.fail.Result != "usage" {
			t.Fatalf("host %q: %+v", bad, a)
		}
	}
	if a = get(t, srv, "POST", "match.example.test"); a.status != 405 {
		t.Fatalf("POST: %+v", a)
	}

	// A failed lookup is reported as such and not cached.
	dead := httptest.NewServer(NewHandler(&Resolver{DNS: &DNS{Server: "127.0.0.1:1", Timeout: time.Second}}))
	defer dead.Close()
	if a = get(t, dead, "GET", "match.example.test"); a.status != 502 || a.fail.Result != "lookup-failed" || a.cache != "no-store" ||
		!strings.Contains(a.fail.Error, "127.0.0.1:1") {
		t.Fatalf("dead server: %+v", a)
	}
}

func TestHostName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"torplus.example.com", "example.com"},
		{"example.com", "example.com"},
		{"EXAMPLE.com.:443", "example.com"},
		{"video.torplus.eth", "video.torplus.eth"},
		{"Video.TorPlus.ETH.", "video.torplus.eth"},
		{"", ""}, {"com", ""}, {"a b.com", ""}, {"x\".com", ""},
	}
	for _, tt := range tests {
		got, err := HostName(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("HostName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
