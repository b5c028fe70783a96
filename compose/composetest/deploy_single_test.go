package composetest

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// TestDeploySingleCaddyfile runs the single overlay's hoster pod in the
// project's image: the StatefulSet's init containers (the onion key and
// the fee account's seed copied from Secrets as the kubelet writes them
// under fsGroup, group-readable), then deploy/base/Caddyfile with no
// Onionbalance master, the SQLite store in the data volume, a read-only
// root file system, and payments settled on the rpc backend through the
// pod's tor (the simulated Stellar RPC on 127.0.0.1, reached through the
// private Tor network's exit). The hoster prints its own address and
// serves the site through Tor; a client pays past the free round and the
// payee's balance on the ledger moves by what it paid; the data volume's
// root keeps the kubelet's mode, the Stellar SOCKS socket is in the run
// volume's 0700 directory, the key and the seed's copy are 0600.
func TestDeploySingleCaddyfile(t *testing.T) {
	startPrivateTorNetwork()
	e := dockerEngine(t)
	images(t, e)
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	stellar := startStellar(t)
	page := "<h1>a single hoster</h1>\n"
	blob := make([]byte, 10_000)
	rand.Read(blob)
	s := newScaledSite(t, tn, map[string][]byte{"index.html": []byte(page), "file.bin": blob})
	r, pod := s.startHoster(ctx, t, e, "single", map[string]string{
		"TORPLUS_PAY_TO":          clienttest.Operator.Address(),
		"TORPLUS_ASSET_ISSUER":    clienttest.Issuer.Address(),
		"TORPLUS_STELLAR_NETWORK": stellarpaytest.Passphrase,
		"TORPLUS_PRICE":           "1.5",
		"TORPLUS_FREE_ROUND":      "15KB",
		"TORPLUS_ROUND":           "300KB",
		"TORPLUS_GRACE":           "off",
	}, stellar)
	logs := r.waitLog(ctx, t, "onion address:", 2*time.Minute)
	if m := addressLine.FindStringSubmatch(logs); m == nil || m[1] != string(r.instance) {
		t.Fatalf("printed %v, want the address of the key in the Secret %s", m, r.instance)
	}
	logs = r.waitLog(ctx, t, "settling through Stellar RPC", time.Minute)
	if !strings.Contains(logs, `"through_tor":true`) || !strings.Contains(logs, `"fee_account":"`+stellar.Fee.Address()+`"`) {
		t.Fatalf("the hoster does not settle through tor with the fee account %s:\n%s", stellar.Fee.Address(), logs)
	}
	r.waitLog(ctx, t, "onion service published", 5*time.Minute)
	body, err := tn.GetEventually(ctx, "single", "http://"+r.instance.Hostname()+"/", 12)
	if err != nil || string(body) != page {
		t.Fatalf("through Tor: %q, %v", body, err)
	}

	before, _ := stellar.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	payer := torClient(t, tn, "single-payer", stellar.Horizon, clienttest.Payer, "", client.Policy{
		NetworkPassphrase: stellarpaytest.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(),
		Budget: &client.Budget{PerPayment: 15_000_000, Total: 15_000_000}})
	for i := 0; i < 4; i++ { // 40 KB: past the free round
		if err := fetchBlob(ctx, payer, "http://"+r.instance.Hostname()+"/file.bin", blob); err != nil {
			t.Fatalf("paying client, fetch %d: %v", i, err)
		}
	}
	paid, stroops := payer.Paid()
	after, _ := stellar.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	if paid != 1 || stroops != 15_000_000 || after-before != stroops {
		t.Fatalf("the client paid %d times (%d stroops); the payee's balance moved by %d", paid, stroops, after-before)
	}

	pod.assertVolumesKept(t)
	if _, err := os.Stat(filepath.Join(pod.data, "store.db")); err != nil {
		t.Fatalf("no SQLite store in the data volume: %v", err)
	}
	if _, err := os.Stat(filepath.Join(pod.data, "onion", onionservice.ObConfigFile)); !os.IsNotExist(err) {
		t.Fatalf("a hoster that is no Onionbalance instance has an ob_config (%v)", err)
	}
	if out, _ := r.logs(ctx, "all"); strings.Contains(out, s.master.Hostname()) || strings.Contains(out, stellar.Fee.Seed()) {
		t.Fatal("the single hoster printed an Onionbalance master's address or the fee account's seed")
	}
}
