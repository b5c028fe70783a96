package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/internal/horizonsim"
	"github.com/torplus/torplus/internal/onion"
	"github.com/torplus/torplus/internal/rpcsim"
)

// ErrDemoAndReal means --demo was given with real payment settings: the
// demo's simulated network cannot settle a real account's payments.
var ErrDemoAndReal = usage("--demo runs its own simulated Stellar network: leave out --pay-to, --asset-issuer, --stellar-rpc, --horizon, --fee-account-seed-file and --offline-ledger")

// Balances the demo network starts with.
const (
	DemoPayerTPT = "1000"
	DemoFeeXLM   = "1000"
)

// demoNetwork is the simulated Stellar network of "serve --demo": a
// simulated Stellar RPC on loopback, ledgers closing every close, over a
// ledger on testnet's passphrase (the passphrase x402 clients know), with
// an issuer of TPT, the site's account trusting it, a payer holding TPT
// and a fee account holding XLM, which pays the fees of the payments the
// hoster submits. The hoster settles through the RPC. A simulated Horizon
// on the same ledger serves classic clients (torplus-pay reads its
// sequence number there). The keys live in <data-dir>/demo (mode 0600),
// so the accounts stay the same across restarts; the balances start over,
// because the ledger lives in memory.
type demoNetwork struct {
	Issuer, Payee, Payer, Fee  *keypair.Full
	PayerSeedFile, FeeSeedFile string
	rpc                        *rpcsim.Server
	horizon                    *horizonsim.Server
}

// Close stops the simulated RPC and Horizon.
func (d *demoNetwork) Close() error {
	err := d.rpc.Close()
	if d.horizon != nil {
		err = d.horizon.Close()
	}
	return err
}

// RPCURL is the simulated Stellar RPC's endpoint.
func (d *demoNetwork) RPCURL() string { return d.rpc.URL }

// HorizonURL is the simulated Horizon's base URL.
func (d *demoNetwork) HorizonURL() string { return d.horizon.URL }

// startDemo starts the demo network, its ledgers closing every close
// (rpcsim.DefaultClose when 0), and points o's payment flags at it.
func startDemo(o *serveOptions, close time.Duration) (*demoNetwork, error) {
	m := &o.meter
	if m.payTo != "" || m.assetIssuer != "" || m.rpc != "" || m.horizon != "" || m.feeSeedFile != "" || m.offlineLedger != "" {
		return nil, ErrDemoAndReal
	}
	dir := filepath.Join(o.dataDir, "demo")
	d := &demoNetwork{PayerSeedFile: client.DemoPayerSeedFile(o.dataDir), FeeSeedFile: filepath.Join(dir, "fee.seed")}
	for _, k := range []struct {
		kp   **keypair.Full
		file string
	}{{&d.Issuer, "issuer.seed"}, {&d.Payee, "payee.seed"}, {&d.Payer, "payer.seed"}, {&d.Fee, "fee.seed"}} {
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
		{Address: d.Fee.Address(), Balance: DemoFeeXLM},
	}}, nil)
	if err != nil {
		return nil, fmt.Errorf("demo ledger: %w", err)
	}
	if d.rpc, err = rpcsim.Start(l, rpcsim.Options{Close: close}); err != nil {
		return nil, err
	}
	if d.horizon, err = horizonsim.Start(l); err != nil {
		d.rpc.Close()
		return nil, err
	}
	m.payTo, m.assetIssuer, m.assetCode, m.network = d.Payee.Address(), d.Issuer.Address(), "TPT", "testnet"
	m.rpc, m.feeSeedFile = d.RPCURL(), d.FeeSeedFile
	if err := client.WriteDemo(o.dataDir, client.DemoNetwork{HorizonURL: d.HorizonURL(), RPCURL: d.RPCURL(), NetworkPassphrase: network.TestNetworkPassphrase,
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
	fmt.Fprintf(w, "demo: a simulated Stellar network (testnet's passphrase, no real money) runs inside this hoster: Stellar RPC at %s, and Horizon at %s for classic clients\n", d.RPCURL(), d.HorizonURL())
	fmt.Fprintf(w, "demo: payments go to %s; the demo payer %s holds %s TPT (its seed: %s); the demo fee account %s holds %s XLM and pays the fees\n",
		d.Payee.Address(), d.Payer.Address(), DemoPayerTPT, d.PayerSeedFile, d.Fee.Address(), DemoFeeXLM)
	fmt.Fprintf(w, "demo: pay for the site through a tor client (SOCKS 127.0.0.1:9050, or Tor Browser's 9150):\n")
	fmt.Fprintf(w, "  torplus-pay -demo %s -socks 127.0.0.1:9050 -n 30 -o /dev/null http://%s/\n", dataDir, host)
	fmt.Fprintf(w, "  (the same in full: torplus-pay -socks 127.0.0.1:9050 -stellar-rpc %s -horizon %s -asset-issuer %s -seed-file %s -max-payment 10 -budget 100 -n 30 -o /dev/null http://%s/)\n",
		d.RPCURL(), d.HorizonURL(), d.Issuer.Address(), d.PayerSeedFile, host)
	fmt.Fprintf(w, "  (an x402 client pays with the payer's seed against the RPC above, network stellar:testnet)\n")
}
