package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/pflag"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// TestServeStellarThroughTor: with a Stellar server (RPC or Horizon) the
// onion app opens tor's Stellar SOCKS socket and the meter's stellar_socks
// points at it, unless --stellar-direct (or TORPLUS_STELLAR_DIRECT) says
// otherwise; with no server to reach there is no SOCKS port at all.
func TestServeStellarThroughTor(t *testing.T) {
	fee := filepath.Join(t.TempDir(), "fee.seed")
	writeFile(t, fee, keypair.MustRandom().Seed()+"\n", 0o600)
	pay := []string{"--pay-to", testDestination, "--asset-issuer", testIssuer}
	rpc := append(append([]string{}, pay...), "--stellar-rpc", "https://soroban-testnet.stellar.org", "--fee-account-seed-file", fee)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		backend string
		socks   bool
	}{
		{"rpc through tor", nil, rpc, stellarpay.BackendRPC, true},
		{"horizon through tor", nil, append(append([]string{}, pay...), "--horizon", "https://horizon-testnet.stellar.org"), stellarpay.BackendHorizon, true},
		{"rpc direct", nil, append(append([]string{}, rpc...), "--stellar-direct"), stellarpay.BackendRPC, false},
		{"rpc direct from the environment", map[string]string{"TORPLUS_STELLAR_DIRECT": "true"}, rpc, stellarpay.BackendRPC, false},
		{"rpc from the environment", map[string]string{"TORPLUS_STELLAR_RPC": "https://rpc.example", "TORPLUS_FEE_ACCOUNT_SEED_FILE": fee}, pay, stellarpay.BackendRPC, true},
		{"no server", nil, pay, "", false},
		{"no metering", nil, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			clear(fromEnv)
			dataDir := t.TempDir()
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			addServeFlags(fs)
			if err := fs.Parse(append(tt.args, "--root", siteDir, "--admin", "off", "--data-dir", dataDir)); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(fs); err != nil {
				t.Fatal(err)
			}
			cfg, err := serveConfig(readServeFlags(caddycmd.Flags{FlagSet: fs}))
			if err != nil {
				t.Fatal(err)
			}
			var app onionservice.App
			if err := json.Unmarshal(cfg.AppsRaw["onion"], &app); err != nil {
				t.Fatal(err)
			}
			if app.StellarSocks != tt.socks {
				t.Fatalf("onion app stellar_socks %v, want %v", app.StellarSocks, tt.socks)
			}
			if tt.args == nil {
				return
			}
			m := torplusHandler(t, cfg)
			want := ""
			if tt.socks {
				want = "unix/" + onionservice.StellarSocksPath(dataDir)
			}
			if m.Backend != tt.backend || m.StellarSOCKS != want {
				t.Fatalf("handler backend %q stellar_socks %q; want %q, %q", m.Backend, m.StellarSOCKS, tt.backend, want)
			}
			if tt.backend == stellarpay.BackendRPC && (m.StellarRPC == "" || m.FeeAccountSeedFile != fee) {
				t.Fatalf("handler stellar_rpc %q fee_account_seed_file %q", m.StellarRPC, m.FeeAccountSeedFile)
			}
		})
	}
}

// TestPrintStellar: the start-up lines say which server settles payments
// and how it is reached, and give the asset's contract address.
func TestPrintStellar(t *testing.T) {
	issuer := keypair.MustRandom().Address()
	contract, err := assetContract("TPT", issuer, network.TestNetworkPassphrase)
	if err != nil || !strings.HasPrefix(contract, "C") {
		t.Fatalf("contract %q, %v", contract, err)
	}
	base := meterOptions{payTo: testDestination, assetIssuer: issuer, network: "testnet", rpc: "https://rpc.example"}
	tests := []struct {
		name string
		o    serveOptions
		want string
	}{
		{"through tor", serveOptions{meter: base}, "payments: settled through Stellar RPC https://rpc.example, reached through this hoster's tor"},
		{"direct", serveOptions{meter: base, stellarDirect: true}, "reached directly (--stellar-direct): its operator sees this server's address"},
		{"demo", serveOptions{meter: base, demo: true}, "settled through the demo's Stellar RPC https://rpc.example, inside this hoster"},
	}
	for _, tt := range tests {
		var b strings.Builder
		printStellar(&b, tt.o, t.TempDir())
		if !strings.Contains(b.String(), tt.want) || !strings.Contains(b.String(), "asset contract:   "+contract+"  (TPT issued by "+issuer) {
			t.Errorf("%s: printed %q; want %q and the contract %s", tt.name, b.String(), tt.want, contract)
		}
	}
}
