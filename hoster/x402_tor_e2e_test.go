package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/npmtest"
	"github.com/torplus/torplus/internal/rpcsim"
	"github.com/torplus/torplus/internal/tornet"
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
	s := startStandardsHoster(ctx, t, tn)
	id, blob, l, tlsSrv := s.id, s.blob, s.ledger, s.tlsRPC
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

// standardsHoster is a metered onion site on testnet's passphrase (so
// x402 is offered beside the Payment challenges), settling through a
// simulated RPC of 1 s ledgers with its fee account sponsoring: a 402
// for every new session, 1.5 TPT a round of 200 KB, a 50 KB file.bin.
type standardsHoster struct {
	id     string // the onion id
	blob   []byte // file.bin
	ledger *simledger.Ledger
	rpc    *rpcsim.Server // the hoster's, plain http
	tlsRPC *rpcsim.Server // the same ledger over https, for the x402 client
}

func startStandardsHoster(ctx context.Context, t *testing.T, tn *tornet.Network) standardsHoster {
	t.Helper()
	stellar := startFeeNetwork(t, network.TestNetworkPassphrase)
	tlsSrv, err := rpcsim.Start(stellar.ledger, rpcsim.Options{Close: -1, TLS: true}) // stellar.rpc closes the ledgers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tlsSrv.Close() })
	id, blob := startMeteredHoster(ctx, t, tn, 50_000, func(dataDir string) string {
		return `torplus {
			price 1.5
			destination ` + clienttest.Operator.Address() + `
			asset TPT ` + clienttest.Issuer.Address() + `
			network testnet
			free_round off
			round 200KB
			grace off
			backend rpc ` + stellar.rpc.URL + `
			fee_account_seed_file ` + stellar.seedFile + `
			watch_interval 200ms
			settle_timeout 30s
			store sqlite ` + filepath.Join(dataDir, "store.db") + `
		}`
	})
	return standardsHoster{id: id, blob: blob, ledger: stellar.ledger, rpc: stellar.rpc, tlsRPC: tlsSrv}
}

// TestStellarChargeThroughTor: our stellar charge client, written to
// draft-stellar-charge-00 (the client package, as torplus-pay runs it),
// pays a metered onion page through the private Tor network, against the
// simulated RPC, in pull mode (a SAC transfer the hoster's fee account
// submits) and in push mode (the client submits and sends the hash); each
// page is served with a Payment-Receipt and the payee grows by exactly
// what the client paid.
func TestStellarChargeThroughTor(t *testing.T) {
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	s := startStandardsHoster(ctx, t, tn)
	rpc := rpcclient.NewClient(s.rpc.URL, &http.Client{Timeout: 30 * time.Second})
	t.Cleanup(func() { _ = rpc.Close() })
	for _, f := range []client.Format{client.FormatPayment, client.FormatPush} {
		t.Run(f.String(), func(t *testing.T) {
			web, err := client.NewHTTPClient(tn.SocksAddr, "charge", f.String(), 2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(web.CloseIdleConnections)
			budget := &client.Budget{PerPayment: 15_000_000, Total: 15_000_000}
			c, err := client.New(client.Config{HTTP: web, RPC: rpc, Key: clienttest.Payer, Formats: []client.Format{f}, Logf: t.Logf,
				Policy: client.Policy{NetworkPassphrase: network.TestNetworkPassphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(), Budget: budget}})
			if err != nil {
				t.Fatal(err)
			}
			before, _ := s.ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
			resp, err := c.Get(ctx, "http://"+s.id+".onion/file.bin")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(body) != len(s.blob) || resp.Header.Get(paymentauth.HeaderReceipt) == "" {
				t.Fatalf("%s, %d bytes, Payment-Receipt %q", resp.Status, len(body), resp.Header.Get(paymentauth.HeaderReceipt))
			}
			after, _ := s.ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
			if n, paid := c.Paid(); n != 1 || after-before != paid || budget.Spent() != paid {
				t.Fatalf("%d payments, %d stroops, budget %d; the payee received %d", n, paid, budget.Spent(), after-before)
			}
		})
	}
}
