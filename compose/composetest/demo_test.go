package composetest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

var (
	demoHorizon = regexp.MustCompile(`Horizon at (http://127\.0\.0\.1:\d+/)`)
	demoIssuer  = regexp.MustCompile(`-asset-issuer (G[A-Z2-7]{55})`)
)

// TestComposeDemoPays: "docker compose up" with an .env that sets nothing
// of the hoster's but small rounds (the other lines pick free ports and
// join the private Tor network) is the demo: the hoster's log says how to
// pay, a client pays its payment requests through Tor from the demo payer,
// and the dashboard counts the payments. Then, with .env naming another
// payee, price and Horizon and no edit to the compose file, the 402 a
// visitor gets names them.
func TestComposeDemoPays(t *testing.T) {
	e, tn, ctx := stackTest(t)

	p, addrs := newStack(t, e, tn, "TORPLUS_FREE_ROUND=2KB", "TORPLUS_ROUND=8KB")
	if _, err := p.Run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}
	id := waitAddress(ctx, t, p, "hoster")
	logs := waitLog(ctx, t, p, "hoster", "demo: pay for the site", time.Minute)
	hz, issuer := demoHorizon.FindStringSubmatch(logs), demoIssuer.FindStringSubmatch(logs)
	if hz == nil || issuer == nil || !strings.Contains(logs, "metering: on") {
		t.Fatalf("the demo's log lacks its Horizon, issuer or metering line:\n%s", logs)
	}
	seed, err := p.Run(ctx, "exec", "-T", "hoster", "cat", "/var/lib/torplus/demo/payer.seed")
	if err != nil {
		t.Fatal(err)
	}
	payer, err := keypair.ParseFull(strings.TrimSpace(seed))
	if err != nil {
		t.Fatal("the demo payer's seed file does not hold a seed")
	}
	if strings.Contains(logs, payer.Seed()) {
		t.Fatal("the hoster logged the demo payer's seed")
	}
	waitLog(ctx, t, p, "hoster", "onion service published", 4*time.Minute)

	c := torClient(t, tn, "demo-payer", hz[1], payer, "", client.Policy{NetworkPassphrase: network.TestNetworkPassphrase,
		AssetCode: "TPT", AssetIssuer: issuer[1], Budget: &client.Budget{PerPayment: 10_000_000, Total: 100_000_000}})
	for i := range 12 {
		if err := fetchBlob(ctx, c, "http://"+id.Hostname()+"/index.html", readSite(t, "index.html")); err != nil {
			t.Fatalf("demo fetch %d: %v", i, err)
		}
	}
	paid, stroops := c.Paid()
	if paid < 1 {
		t.Fatalf("12 pages past a 2 KB free round were never paid for")
	}
	assertDashboardShowsPaid(t, addrs.dashboard, paid, stroops)

	// Real settings, from .env alone.
	if _, err := p.Run(ctx, "down"); err != nil {
		t.Fatal(err)
	}
	real := clienttest.StartHorizon(t)
	p, _ = newStack(t, e, tn, "TORPLUS_PAY_TO="+clienttest.Operator.Address(), "TORPLUS_ASSET_ISSUER="+clienttest.Issuer.Address(),
		"TORPLUS_STELLAR_NETWORK="+stellarpaytest.Passphrase, "TORPLUS_HORIZON_URL="+real.URL, "TORPLUS_PRICE=3.5",
		"TORPLUS_FREE_ROUND=0", "TORPLUS_GRACE=off")
	if _, err := p.Run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}
	waitLog(ctx, t, p, "hoster", "onion service published", 4*time.Minute)
	hc, err := client.NewHTTPClient(tn.SocksAddr, "visitor", "x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var status int
	var body string
	for range 5 { // a fresh circuit to a service can fail
		resp, err := hc.Get("http://" + id.Hostname() + "/index.html")
		if err != nil {
			time.Sleep(2 * time.Second)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, body = resp.StatusCode, string(b)
		break
	}
	if status != http.StatusPaymentRequired || !strings.Contains(body, clienttest.Operator.Address()) || !strings.Contains(body, `"3.5"`) {
		t.Fatalf("with .env's payee and price: %d %s", status, body)
	}
}

// readSite is a file of the example site.
func readSite(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(siteDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
