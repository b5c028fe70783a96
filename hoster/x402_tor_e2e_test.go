package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/npmtest"
	"github.com/torplus/torplus/internal/rpcsim"
)

//go:embed testdata/x402_socks_fetch.mjs
var x402SocksFetchJS string

// TestX402FetchThroughTor: the unmodified @x402/fetch + @x402/stellar
// client (npm, pinned) fetches a metered page of an onion site through the
// private Tor network, its fetch going through the network's SOCKS port:
// it reads the 402's PAYMENT-REQUIRED, pays against the simulated RPC (the
// hoster settles, its fee account sponsoring), and the page is served
// with PAYMENT-RESPONSE; the payee's balance grows by exactly the amount.
func TestX402FetchThroughTor(t *testing.T) {
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	fee := spt.Key("fee")
	g := clienttest.Genesis()
	g.NetworkPassphrase = network.TestNetworkPassphrase
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: fee.Address(), Balance: "100"})
	g.AssetContracts = []simledger.Asset{clienttest.TPT}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpcsim.Start(l, rpcsim.Options{Close: time.Second}) // the hoster's, plain http
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tlsSrv, err := rpcsim.Start(l, rpcsim.Options{Close: -1, TLS: true}) // the x402 client's: it wants https
	if err != nil {
		t.Fatal(err)
	}
	defer tlsSrv.Close()
	seed := filepath.Join(t.TempDir(), "fee.seed")
	if err := os.WriteFile(seed, []byte(fee.Seed()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id, blob := startMeteredHoster(ctx, t, tn, 50_000, func(dataDir string) string {
		return `torplus {
			price 1.5
			destination ` + clienttest.Operator.Address() + `
			asset TPT ` + clienttest.Issuer.Address() + `
			network testnet
			free_round off
			round 200KB
			grace off
			backend rpc ` + srv.URL + `
			fee_account_seed_file ` + seed + `
			settle_timeout 30s
			store sqlite ` + filepath.Join(dataDir, "store.db") + `
		}`
	})
	before, err := l.Balance(clienttest.Operator.Address(), clienttest.TPT)
	if err != nil {
		t.Fatal(err)
	}
	dir := npmtest.Install(t, append(rpcsim.JSPackages, "@x402/fetch@2.9.0", "socks-proxy-agent@10.1.0")...)
	rpcsim.TrustCA(t, tlsSrv)
	in, _ := json.Marshal(map[string]string{"URL": "http://" + id + ".onion/file.bin", "SOCKS": tn.SocksAddr,
		"RPC_URL": tlsSrv.URL, "PAYER_SECRET": clienttest.Payer.Seed()})
	out := npmtest.Node(t, dir, x402SocksFetchJS, in)
	var got struct {
		Status, Bytes int
		Response      *x402.SettlementResponse
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("x402_socks_fetch.mjs printed %q: %v", out, err)
	}
	if got.Status != 200 || got.Bytes != len(blob) || got.Response == nil || !got.Response.Success {
		t.Fatalf("@x402/fetch through tor got %d, %d bytes, PAYMENT-RESPONSE %+v", got.Status, got.Bytes, got.Response)
	}
	after, _ := l.Balance(clienttest.Operator.Address(), clienttest.TPT)
	if after-before != 15_000_000 {
		t.Fatalf("payee received %d stroops, want 15000000", after-before)
	}
	t.Logf("@x402/fetch through tor: %d bytes, tx %s", got.Bytes, got.Response.Transaction)
}
