package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/internal/horizonsim"
	"github.com/torplus/torplus/internal/onion"
)

// ErrDemoAndReal means --demo was given with real payment settings: the
// demo's simulated network cannot settle a real account's payments.
var ErrDemoAndReal = usage("--demo runs its own simulated Stellar network: leave out --pay-to, --asset-issuer, --horizon and --offline-ledger")

// DemoPayerTPT is the demo payer's starting balance.
const DemoPayerTPT = "1000"

// demoNetwork is the simulated Stellar network of "serve --demo": a
// simulated Horizon on loopback over a ledger on testnet's passphrase
// (the passphrase x402 clients know), with an issuer of TPT, the site's
// account trusting it and a payer holding TPT. The keys live in
// <data-dir>/demo (mode 0600), so the accounts stay the same across
// restarts; the balances start over, because the ledger lives in memory.
type demoNetwork struct {
	Issuer, Payee, Payer *keypair.Full
	PayerSeedFile        string
	horizon              *horizonsim.Server
}

// Close stops the simulated Horizon.
func (d *demoNetwork) Close() error { return d.horizon.Close() }

// URL is the simulated Horizon's base URL.
func (d *demoNetwork) URL() string { return d.horizon.URL }

// startDemo starts the demo network and points o's payment flags at it.
func startDemo(o *serveOptions) (*demoNetwork, error) {
	m := &o.meter
	if m.payTo != "" || m.assetIssuer != "" || m.horizon != "" || m.offlineLedger != "" {
		return nil, ErrDemoAndReal
	}
	dir := filepath.Join(o.dataDir, "demo")
	d := &demoNetwork{PayerSeedFile: client.DemoPayerSeedFile(o.dataDir)}
	for _, k := range []struct {
		kp   **keypair.Full
		file string
	}{{&d.Issuer, "issuer.seed"}, {&d.Payee, "payee.seed"}, {&d.Payer, "payer.seed"}} {
		kp, _, err := loadOrCreateSeed(filepath.Join(dir, k.file))
		if err != nil {
			return nil, fmt.Errorf("demo keys: %w", err)
		}
		*k.kp = kp
	}
	tpt := simledger.Asset{Code: "TPT", Issuer: d.Issuer.Address()}
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: network.TestNetworkPassphrase, Accounts: []simledger.AccountSpec{
		{Address: d.Issuer.Address(), Balance: "10000"},
		{Address: d.Payee.Address(), Balance: "100", Trustlines: []simledger.TrustlineSpec{{Asset: tpt}}},
		{Address: d.Payer.Address(), Balance: "100", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: DemoPayerTPT}}},
	}}, nil)
	if err != nil {
		return nil, fmt.Errorf("demo ledger: %w", err)
	}
	if d.horizon, err = horizonsim.Start(l); err != nil {
		return nil, err
	}
	m.payTo, m.assetIssuer, m.assetCode, m.horizon, m.network = d.Payee.Address(), d.Issuer.Address(), "TPT", d.URL(), "testnet"
	if err := client.WriteDemo(o.dataDir, client.DemoNetwork{HorizonURL: d.URL(), NetworkPassphrase: network.TestNetworkPassphrase,
		AssetCode: "TPT", AssetIssuer: d.Issuer.Address()}); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

// printDemo tells the owner how to pay the demo site.
func printDemo(w io.Writer, d *demoNetwork, dataDir string) {
	host := "<onion address>"
	if key, err := onion.LoadKey(onionservice.KeyDir(dataDir)); err == nil {
		host = key.ID().Hostname()
	}
	fmt.Fprintf(w, "demo: a simulated Stellar network (testnet's passphrase, no real money) runs inside this hoster: Horizon at %s\n", d.URL())
	fmt.Fprintf(w, "demo: payments go to %s; the demo payer %s holds %s TPT (its seed: %s)\n", d.Payee.Address(), d.Payer.Address(), DemoPayerTPT, d.PayerSeedFile)
	fmt.Fprintf(w, "demo: pay for the site through a tor client (SOCKS 127.0.0.1:9050, or Tor Browser's 9150):\n")
	fmt.Fprintf(w, "  torplus-pay -demo %s -socks 127.0.0.1:9050 -n 30 -o /dev/null http://%s/\n", dataDir, host)
	fmt.Fprintf(w, "  (the same in full: torplus-pay -socks 127.0.0.1:9050 -horizon %s -asset-issuer %s -seed-file %s -max-payment 10 -budget 100 -n 30 -o /dev/null http://%s/)\n",
		d.URL(), d.Issuer.Address(), d.PayerSeedFile, host)
}
