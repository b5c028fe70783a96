package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/dashboard"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/client"
)

// TestDemoPays: "serve --demo" runs a simulated Stellar RPC with a funded
// payer and a fee account; the real paying client, given what the demo
// prints, pays the site's payment requests, which the hoster settles
// through the RPC, and the dashboard counts the requests and the payments. The http part of the config runs in a real
// Caddy (tor is not needed to speak to the socket the way tor does).
func TestDemoPays(t *testing.T) {
	dataDir := shortDataDir(t)
	o := serveOptions{root: siteDir, dataDir: dataDir, admin: "off", demo: true, dashboard: fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t)),
		meter: meterOptions{freeRound: "2KB", round: "4KB"}}
	demo, err := startDemo(&o, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Close() })
	var printed strings.Builder
	printDemo(&printed, demo, dataDir)
	for _, want := range []string{"Stellar RPC at " + demo.RPCURL(), demo.HorizonURL(), demo.Issuer.Address(), demo.PayerSeedFile, "demo fee account " + demo.Fee.Address(), "torplus-pay -demo " + dataDir, "torplus-pay -socks"} {
		if !strings.Contains(printed.String(), want) {
			t.Fatalf("the demo's instructions lack %q:\n%s", want, printed.String())
		}
	}
	if strings.Contains(printed.String(), demo.Payer.Seed()) || strings.Contains(printed.String(), demo.Fee.Seed()) {
		t.Fatal("the demo printed a seed")
	}
	if o.meter.rpc != demo.RPCURL() || o.meter.horizon != "" || o.meter.feeSeedFile != demo.FeeSeedFile || o.meter.stellarSocks != "" {
		t.Fatalf("the demo's payment settings: %+v; want the RPC, its fee account, no SOCKS (the RPC is on loopback)", o.meter)
	}
	// What "torplus-pay -demo <data dir>" reads.
	if d, err := client.LoadDemo(dataDir); err != nil || d.HorizonURL != demo.HorizonURL() || d.RPCURL != demo.RPCURL() || d.AssetIssuer != demo.Issuer.Address() {
		t.Fatalf("demo network file: %+v, %v", d, err)
	}
	sock := runServeConfig(t, o)

	payer, err := client.New(client.Config{
		HTTP:    torLikeClient(sock, "PROXY TCP6 fc00:dead:beef:4dad::0:7 ::1 7 80\r\n"),
		Horizon: &horizonclient.Client{HorizonURL: demo.HorizonURL(), HTTP: &http.Client{Timeout: 30 * time.Second}},
		Key:     demo.Payer,
		Policy: client.Policy{NetworkPassphrase: network.TestNetworkPassphrase, AssetCode: "TPT", AssetIssuer: demo.Issuer.Address(),
			Budget: &client.Budget{PerPayment: 10_000_000, Total: 200_000_000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 20; i++ {
		resp, err := payer.Get(ctx, "http://demo.onion/index.html")
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fetch %d: %s", i, resp.Status)
		}
	}
	paid, stroops := payer.Paid()
	tpt := simledger.Asset{Code: "TPT", Issuer: demo.Issuer.Address()}
	balance, err := demo.rpc.Ledger.Balance(demo.Payee.Address(), tpt)
	if err != nil || paid < 2 || balance != stroops {
		t.Fatalf("paid %d requests (%d stroops); the demo payee holds %d stroops (%v)", paid, stroops, balance, err)
	}

	resp, err := http.Get("http://" + o.dashboard + "/?format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d dashboard.Data
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Payments != paid || d.Requests < paid {
		t.Fatalf("dashboard shows %d payment requests and %d payments; the payer paid %d", d.Requests, d.Payments, paid)
	}
}

// torLikeClient is an HTTP client that reaches the site the way tor
// delivers a visitor: over the unix socket, a PROXY line first.
func torLikeClient(sock, proxyLine string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", sock)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(c, proxyLine); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	}}
}
