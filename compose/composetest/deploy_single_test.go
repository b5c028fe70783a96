package composetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
)

// TestDeploySingleCaddyfile runs the single overlay's hoster in the
// project's image: deploy/base/Caddyfile with no Onionbalance master and
// the SQLite ledger in the data volume, read-only root file system. The
// hoster prints its own address and serves the site through the private
// Tor network, keeping its ledger in the volume and writing no ob_config.
func TestDeploySingleCaddyfile(t *testing.T) {
	startPrivateTorNetwork()
	e := dockerEngine(t)
	images(t, e)
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	hz := clienttest.StartHorizon(t)
	page := "<h1>a single hoster</h1>\n"
	s := newScaledSite(t, tn, map[string][]byte{"index.html": []byte(page)})
	r, data := s.startHoster(ctx, t, e, "single", map[string]string{
		"TORPLUS_PAY_TO":          clienttest.Operator.Address(),
		"TORPLUS_ASSET_ISSUER":    clienttest.Issuer.Address(),
		"TORPLUS_STELLAR_NETWORK": stellarpaytest.Passphrase,
		"TORPLUS_HORIZON_URL":     hz.URL,
		"TORPLUS_STELLAR_SEED":    clienttest.Operator.Seed(),
	})
	logs := r.waitLog(ctx, t, "onion address:", 2*time.Minute)
	if m := addressLine.FindStringSubmatch(logs); m == nil || m[1] != string(r.instance) {
		t.Fatalf("printed %v, want the hoster's own address %s", m, r.instance)
	}
	r.waitLog(ctx, t, "onion service published", 5*time.Minute)
	body, err := tn.GetEventually(ctx, "single", "http://"+r.instance.Hostname()+"/", 12)
	if err != nil || string(body) != page {
		t.Fatalf("through Tor: %q, %v", body, err)
	}
	if _, err := os.Stat(filepath.Join(data, "store.db")); err != nil {
		t.Fatalf("no SQLite ledger in the data volume: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "onion", onionservice.ObConfigFile)); !os.IsNotExist(err) {
		t.Fatalf("a hoster that is no Onionbalance instance has an ob_config (%v)", err)
	}
	if strings.Contains(logs, s.master.Hostname()) {
		t.Fatal("the single hoster printed an Onionbalance master's address")
	}
}
