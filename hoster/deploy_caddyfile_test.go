package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// TestDeployCaddyfileStellarThroughTor: deploy/base/Caddyfile, with its
// defaults, settles through the rpc backend with the fee account's seed
// from the pod's run volume, and sends its Stellar traffic through the
// pod's tor: the onion app opens the SOCKS socket in stellar_socks_dir (a
// directory of the run volume, not the data volume's root, which is never
// chmodded) and the meter's stellar_socks is that socket; with
// TORPLUS_STELLAR_SOCKS empty it connects directly.
func TestDeployCaddyfileStellarThroughTor(t *testing.T) {
	text, err := os.ReadFile("../deploy/base/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TORPLUS_PAY_TO", testDestination)
	t.Setenv("TORPLUS_ASSET_ISSUER", testIssuer)
	for _, tt := range []struct {
		name  string
		socks *string // TORPLUS_STELLAR_SOCKS, unset when nil
		want  string
	}{
		{"through tor by default", nil, "unix/" + onionservice.StellarSocksPath("/run/torplus/stellar")},
		{"direct", new(string), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.socks != nil {
				t.Setenv("TORPLUS_STELLAR_SOCKS", *tt.socks)
			}
			out, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt(text, nil)
			if err != nil {
				t.Fatalf("adapting the Caddyfile: %v %v", err, warn)
			}
			var cfg caddy.Config
			if err := json.Unmarshal(out, &cfg); err != nil {
				t.Fatal(err)
			}
			var app onionservice.App
			if err := json.Unmarshal(cfg.AppsRaw["onion"], &app); err != nil {
				t.Fatal(err)
			}
			if !app.StellarSocks || app.StellarSocksDir != "/run/torplus/stellar" || app.DataDir != "/var/lib/torplus" {
				t.Fatalf("onion app: data_dir %q, stellar_socks %v in %q", app.DataDir, app.StellarSocks, app.StellarSocksDir)
			}
			var m meter.Handler
			if !findHandler(t, out, "torplus", &m) {
				t.Fatal("no torplus handler in the adapted Caddyfile")
			}
			if m.Backend != stellarpay.BackendRPC || m.StellarRPC != "https://soroban-testnet.stellar.org" ||
				m.FeeAccountSeedFile != "/run/torplus/fee-account.seed" || m.StellarSOCKS != tt.want || m.SeedEnv != "" || m.SeedFile != "" {
				t.Fatalf("torplus handler: backend %q rpc %q fee account %q stellar_socks %q (want %q), payee seed %q%q",
					m.Backend, m.StellarRPC, m.FeeAccountSeedFile, m.StellarSOCKS, tt.want, m.SeedEnv, m.SeedFile)
			}
		})
	}
}

// findHandler decodes into v the first object of the JSON config whose
// "handler" is name, at any depth (Caddyfile sites nest subroutes).
func findHandler(t *testing.T, config []byte, name string, v any) bool {
	t.Helper()
	return findHandlerOf(t, config, "handler", name, v)
}

// findHandlerOf is findHandler for any module field ("backend" for a file
// system, …).
func findHandlerOf(t *testing.T, config []byte, field, name string, v any) bool {
	t.Helper()
	var tree any
	if err := json.Unmarshal(config, &tree); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(n any) any {
		switch n := n.(type) {
		case map[string]any:
			if n[field] == name {
				return n
			}
			for _, c := range n {
				if f := walk(c); f != nil {
					return f
				}
			}
		case []any:
			for _, c := range n {
				if f := walk(c); f != nil {
					return f
				}
			}
		}
		return nil
	}
	found := walk(tree)
	if found == nil {
		return false
	}
	b, _ := json.Marshal(found)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return true
}
