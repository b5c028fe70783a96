package meter

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
)

func TestCaddyfilePaymentOptions(t *testing.T) {
	tests := []struct {
		in   string
		want Handler
		bad  bool
	}{
		{in: "backend offline\noffline_ledger /etc/torplus/accounts.json\nseed_file /etc/torplus/seed\nsettle_timeout 20s",
			want: Handler{Backend: "offline", OfflineLedgerFile: "/etc/torplus/accounts.json", SeedFile: "/etc/torplus/seed",
				SettleTimeout: caddy.Duration(20 * time.Second)}},
		{in: "backend horizon https://horizon-testnet.stellar.org\nseed_env TORPLUS_SEED",
			want: Handler{Backend: "horizon", HorizonURL: "https://horizon-testnet.stellar.org", SeedEnv: "TORPLUS_SEED"}},
		{in: "failed_payments 3 10 2m", want: Handler{FailedPayments: settlement.Limits{PerRequest: 3, PerClient: 10, Window: caddy.Duration(2 * time.Minute)}}},
		{in: "failed_payments 3 10", bad: true},
		{in: "failed_payments 0 10 1m", bad: true},
		{in: "failed_payments 3 x 1m", bad: true},
		{in: "backend", bad: true},
		{in: "backend horizon", bad: true},
		{in: "backend offline http://x", bad: true},
		{in: "backend rpc\nstellar_rpc https://rpc.example\nfee_account_seed_file /data/fee.seed\nstellar_socks unix//data/tor/socks\nwatch_interval 2s",
			want: Handler{Backend: "rpc", StellarRPC: "https://rpc.example", FeeAccountSeedFile: "/data/fee.seed",
				StellarSOCKS: "unix//data/tor/socks", WatchInterval: caddy.Duration(2 * time.Second)}},
		{in: "backend rpc http://127.0.0.1:8000\nstellar_socks 127.0.0.1:9050\nnetwork pubnet",
			want: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:8000", StellarSOCKS: "127.0.0.1:9050", Network: "pubnet"}},
		{in: "backend rpc http://x y", bad: true},
		{in: "stellar_rpc", bad: true},
		{in: "fee_account_seed_file a b", bad: true},
		{in: "stellar_socks", bad: true},
		{in: "watch_interval soon", bad: true},
		{in: "seed_file", bad: true},
		{in: "settle_timeout soon", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("torplus {\n" + tc.in + "\n}"))
			if tc.bad {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(h)
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestProvisionPayments(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	genesis, _ := json.Marshal(clienttest.Genesis())
	accounts := write("accounts.json", string(genesis), 0o644)
	otherSeed := payPayer.Seed()
	tests := []struct {
		name string
		h    Handler
		want error
		says string // the error must say this
	}{
		{name: "offline from a file", h: Handler{Backend: "offline", OfflineLedgerFile: accounts}},
		{name: "offline inline", h: Handler{Backend: "offline", OfflineLedger: ptr(clienttest.Genesis())}},
		{name: "offline without accounts", h: Handler{Backend: "offline"}, want: stellarpay.ErrConfig, says: "offline_ledger"},
		{name: "offline file missing", h: Handler{Backend: "offline", OfflineLedgerFile: filepath.Join(dir, "none.json")}, want: stellarpay.ErrConfig},
		{name: "offline file not JSON", h: Handler{Backend: "offline", OfflineLedgerFile: write("bad.json", "{", 0o644)}, want: stellarpay.ErrConfig},
		{name: "offline on another network", h: Handler{Backend: "offline", OfflineLedger: ptr(clienttest.Genesis()), Network: "Other ; 1"}, want: stellarpay.ErrConfig, says: "network"},
		{name: "horizon", h: Handler{Backend: "horizon", HorizonURL: "http://127.0.0.1:1/"}},
		{name: "horizon without URL", h: Handler{Backend: "horizon"}, want: stellarpay.ErrConfig},
		{name: "unknown backend", h: Handler{Backend: "stellar"}, want: stellarpay.ErrConfig, says: "unknown backend"},
		{name: "rpc", h: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:1/", FeeAccountSeedFile: write("fee", payFee.Seed(), 0o600)}},
		{name: "rpc without a fee account", h: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:1/"}},
		{name: "rpc through tor's unix SocksPort", h: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:1/", StellarSOCKS: "unix/" + filepath.Join(dir, "socks")}},
		{name: "horizon through tor", h: Handler{Backend: "horizon", HorizonURL: "http://127.0.0.1:1/", StellarSOCKS: "127.0.0.1:9050"}},
		{name: "rpc without URL", h: Handler{Backend: "rpc"}, want: stellarpay.ErrConfig, says: "URL"},
		{name: "rpc fee seed readable by others", h: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:1/",
			FeeAccountSeedFile: write("fee-open", payFee.Seed(), 0o644)}, want: stellarpay.ErrSeed, says: "chmod 600"},
		{name: "rpc fee seed missing", h: Handler{Backend: "rpc", StellarRPC: "http://127.0.0.1:1/",
			FeeAccountSeedFile: filepath.Join(dir, "no-fee")}, want: stellarpay.ErrSeed, says: "fee account"},
		{name: "no backend", h: Handler{}},
		{name: "operator seed", h: Handler{SeedFile: write("seed", payOperator.Seed()+"\n", 0o600)}},
		{name: "seed of another account", h: Handler{SeedFile: write("other", otherSeed, 0o600)}, want: stellarpay.ErrSeed, says: "not of the destination"},
		{name: "seed file readable by others", h: Handler{SeedFile: write("open", payOperator.Seed(), 0o644)}, want: stellarpay.ErrSeed, says: "chmod 600"},
		{name: "seed variable empty", h: Handler{SeedEnv: "TORPLUS_TEST_EMPTY_SEED"}, want: stellarpay.ErrSeed},
		{name: "not a seed", h: Handler{SeedFile: write("garbage", "SNOTASEED"+payOperator.Seed()[9:], 0o600)}, want: stellarpay.ErrSeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			h.Destination, h.AssetIssuer, h.Price = payOperator.Address(), payIssuer.Address(), payPrice
			if h.Network == "" {
				h.Network = spt.Passphrase
			}
			h.Store.DSN = filepath.Join(t.TempDir(), "store.db")
			ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
			defer cancel()
			err := h.Provision(ctx)
			t.Cleanup(func() { h.Cleanup() })
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if (h.Backend == "") != (h.backend == nil) {
					t.Fatalf("backend %q gave settler %T", h.Backend, h.backend)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Provision = %v, want %v saying %q", err, tc.want, tc.says)
			}
			for _, secret := range []string{payOperator.Seed(), otherSeed, payFee.Seed()} {
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[9:]) {
					t.Fatal("the error shows a seed")
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEndpointPath(t *testing.T) {
	for in, want := range map[string]string{
		DefaultPaymentEndpoint:                "/.well-known/torplus/pay",
		"/pay":                                "/pay",
		"http://abc.onion/.well-known/pay":    "/.well-known/pay",
		"https://pay.example.org/torplus/pay": "/torplus/pay",
	} {
		if got := endpointPath(in); got != want {
			t.Errorf("endpointPath(%q) = %q, want %q", in, got, want)
		}
	}
}
