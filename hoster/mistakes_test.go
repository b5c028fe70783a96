package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
)

// TestMistakesGetAClearMessage runs the real hoster command on the
// mistakes a new owner makes and checks each one's exit code and message:
// one line naming the flag or variable, never a stack trace, never a hang
// (runHoster gives up after a minute), and never the secret seed.
func TestMistakesGetAClearMessage(t *testing.T) {
	seed := keypair.MustRandom()
	dir := t.TempDir()
	openSeed := filepath.Join(dir, "open.seed")
	badSeed := filepath.Join(dir, "bad.seed")
	otherSeed := filepath.Join(dir, "other.seed")
	pubnetLedger := filepath.Join(dir, "pubnet.json")
	for name, body := range map[string]string{openSeed: seed.Seed(), badSeed: "SNOTASEED", otherSeed: seed.Seed(),
		pubnetLedger: `{"network_passphrase":"Public Global Stellar Network ; September 2015","accounts":[]}`} {
		if err := os.WriteFile(name, []byte(body+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(openSeed, 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	pay := []string{"--pay-to", testDestination, "--asset-issuer", testIssuer}
	rpc := slices.Clip(append(slices.Clone(pay), "--stellar-rpc", "http://127.0.0.1:8000")) // each append below copies
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"flag typo", nil, []string{"--prce", "2"}, ExitUsage, "unknown flag: --prce; did you mean --price?"},
		{"bad account id", nil, []string{"--pay-to", "GABC"}, ExitUsage, "--pay-to: not a Stellar account id"},
		{"seed given as --pay-to", nil, []string{"--pay-to", seed.Seed(), "--asset-issuer", testIssuer}, ExitUsage,
			"--pay-to: that is a secret seed (S…), which must stay secret; give the account id (G…) instead (" + seed.Address()},
		{"seed given in TORPLUS_PAY_TO", []string{"TORPLUS_PAY_TO=" + seed.Seed()}, nil, ExitUsage, "TORPLUS_PAY_TO: that is a secret seed"},
		{"seed given as --asset-issuer", nil, []string{"--pay-to", testDestination, "--asset-issuer", seed.Seed()}, ExitUsage, "--asset-issuer: that is a secret seed"},
		{"missing --asset-issuer", nil, []string{"--pay-to", testDestination}, ExitUsage, "missing: --asset-issuer (a Stellar account id, G…) is required with --pay-to"},
		{"bad --price", nil, append(pay, "--price", "two"), ExitUsage, `--price "two": bad value: want a positive amount`},
		{"zero --round", nil, append(pay, "--round", "0"), ExitUsage, `--round "0": bad value`},
		{"bad --network", nil, append(pay, "--network", "mars"), ExitUsage, `--network "mars": bad value: want testnet, pubnet`},
		{"network mismatch", nil, append(pay, "--offline-ledger", pubnetLedger), ExitUsage, "network mismatch: --offline-ledger " + pubnetLedger + ` is on "Public Global`},
		{"seed file readable by others", nil, append(pay, "--seed-file", openSeed), ExitUsage, "run chmod 600 " + openSeed},
		{"seed file without a seed", nil, append(pay, "--seed-file", badSeed), ExitUsage, "does not hold a valid secret seed"},
		{"seed file of another account", nil, append(pay, "--seed-file", otherSeed), ExitUsage, "it holds the seed of " + seed.Address()},
		{"fee seed file readable by others", nil, append(rpc, "--fee-account-seed-file", openSeed), ExitUsage, "--fee-account-seed-file: stellarpay: no usable Stellar seed: " + openSeed + " is readable by others (mode 0644); run chmod 600 " + openSeed},
		{"fee seed file without a seed", nil, append(rpc, "--fee-account-seed-file", badSeed), ExitUsage, "--fee-account-seed-file: stellarpay: no usable Stellar seed: " + badSeed + " does not hold a valid secret seed"},
		{"fee seed file missing", []string{"TORPLUS_FEE_ACCOUNT_SEED_FILE=" + filepath.Join(dir, "nofee.seed")}, rpc, ExitUsage, "TORPLUS_FEE_ACCOUNT_SEED_FILE: stellarpay: no usable Stellar seed: stat " + filepath.Join(dir, "nofee.seed") + ": no such file"},
		{"fee account is the payee", nil, []string{"--pay-to", seed.Address(), "--asset-issuer", testIssuer, "--stellar-rpc", "http://127.0.0.1:8000", "--fee-account-seed-file", otherSeed},
			ExitUsage, "--fee-account-seed-file: the fee account must be a key of its own, holding only XLM, not the payee's (" + seed.Address() + " is --pay-to)"},
		{"--stellar-rpc not a URL", nil, append(pay, "--stellar-rpc", "soroban-testnet.stellar.org"), ExitUsage, `--stellar-rpc "soroban-testnet.stellar.org": bad value: want an http(s) URL such as https://soroban-testnet.stellar.org`},
		{"TORPLUS_STELLAR_RPC not a URL", []string{"TORPLUS_STELLAR_RPC=localhost:8000"}, pay, ExitUsage, `TORPLUS_STELLAR_RPC "localhost:8000": bad value: want an http(s) URL`},
		{"--stellar-rpc and --horizon", nil, append(rpc, "--horizon", "http://127.0.0.1:8001"), ExitUsage, "give one of --stellar-rpc, --horizon or --offline-ledger"},
		{"stellar-direct env of the wrong kind", []string{"TORPLUS_STELLAR_DIRECT=sometimes"}, rpc, ExitUsage, `TORPLUS_STELLAR_DIRECT="sometimes": wrong kind of value: want true or false`},
		{"site folder missing", []string{"TORPLUS_ROOT=" + siteDir}, []string{"--root", filepath.Join(dir, "sitee")}, ExitUsage, "--root " + filepath.Join(dir, "sitee") + ": no such folder"},
		{"site folder in TORPLUS_ROOT missing", []string{"TORPLUS_ROOT=/no/site"}, nil, ExitUsage, "TORPLUS_ROOT /no/site: no such folder"},
		{"bool env of the wrong kind", []string{"TORPLUS_ACCESS_LOG=maybe"}, nil, ExitUsage, `TORPLUS_ACCESS_LOG="maybe": wrong kind of value: want true or false`},
		{"duration env of the wrong kind", []string{"TORPLUS_GRACE=soon"}, pay, ExitUsage, `TORPLUS_GRACE "soon": bad value: want a duration such as 30s`},
		{"network env of the wrong kind", []string{"TORPLUS_STELLAR_NETWORK=mars"}, pay, ExitUsage, `TORPLUS_STELLAR_NETWORK "mars": bad value`},
		{"size env of the wrong kind", []string{"TORPLUS_FREE_ROUND=lots"}, pay, ExitUsage, `TORPLUS_FREE_ROUND "lots": bad value`},
		{"demo env of the wrong kind", []string{"TORPLUS_DEMO=maybe"}, nil, ExitUsage, `TORPLUS_DEMO="maybe": wrong kind of value: want true, false or auto`},
		{"tor missing", nil, []string{"--tor", "/no/tor"}, ExitFailed, "tor not found: install it (Debian/Ubuntu: apt-get install tor)"},
		{"dashboard port in use", nil, []string{"--dashboard", busy.Addr().String()}, ExitFailed, "--dashboard " + busy.Addr().String() + ": port in use"},
		{"admin port in use", nil, []string{"--admin", busy.Addr().String()}, ExitFailed, "--admin " + busy.Addr().String() + ": port in use"},
		{"demo with a real payee", nil, []string{"--demo", "--pay-to", testDestination}, ExitUsage, "--demo runs its own simulated Stellar network"},
		{"demo with a real RPC", []string{"TORPLUS_DEMO=true", "TORPLUS_STELLAR_RPC=https://soroban-testnet.stellar.org"}, nil, ExitUsage, "--demo runs its own simulated Stellar network: leave out --pay-to, --asset-issuer, --stellar-rpc"},
	}
	openDir := filepath.Join(dir, "open-data")
	if err := os.Mkdir(openDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{"data dir open to others, Stellar through tor", nil, append(rpc, "--data-dir", openDir), ExitFailed,
		"--data-dir " + openDir + " has mode 0755: others can reach it, and tor listens for the hoster's Stellar traffic only in a private directory; run chmod 700 " + openDir + " (or give --stellar-direct)"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "--data-dir", dataDir, "--admin", "off"}, tt.args...)
			if !strings.Contains(strings.Join(tt.env, " "), "TORPLUS_ROOT=") {
				args = append(args, "--root", siteDir)
			}
			code, out, errOut := runHoster(t, tt.env, args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if !strings.HasPrefix(errOut, "hoster serve: ") || strings.Count(errOut, "\n") > 2 || strings.Contains(errOut, "goroutine ") {
				t.Fatalf("want one short line starting with \"hoster serve: \", got %q", errOut)
			}
			if strings.Contains(out+errOut, seed.Seed()) {
				t.Fatalf("the seed was echoed: %q", out+errOut)
			}
			if _, err := os.Stat(dataDir); tt.code == ExitUsage && !strings.HasPrefix(tt.name, "demo") && err == nil {
				t.Fatal("a mistake in the flags made the data directory")
			}
		})
	}
}

// TestUsageSaysHoster: the usage lines name the hoster, not caddy.
func TestUsageSaysHoster(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"--help"}, {"address", "--help"}} {
		code, out, errOut := runHoster(t, nil, args...)
		if code != 0 || !strings.Contains(out, "hoster ") || strings.Contains(out, "caddy "+args[0]) || strings.Contains(out, "Usage:\n  caddy") {
			t.Errorf("hoster %v: exit %d, output %q %q", args, code, out, errOut)
		}
	}
}

// TestAddressNeedsCreate: a mistyped --data-dir is an error, not a new
// address, and the directory is not made; --create makes the key.
func TestAddressNeedsCreate(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "dtaa")
	code, out, errOut := runHoster(t, nil, "address", "--data-dir", typo)
	if code != ExitUsage || !strings.Contains(errOut, "no onion key in "+typo+" (is --data-dir right?); add --create") || out != "" {
		t.Fatalf("exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Fatalf("the mistyped data dir was made: %v", err)
	}
	code, out, errOut = runHoster(t, nil, "address", "--data-dir", typo, "--create")
	if code != 0 || len(strings.TrimSpace(out)) != 56 {
		t.Fatalf("--create: exit %d, %q %q", code, out, errOut)
	}
	if code, again, _ := runHoster(t, nil, "address", "--data-dir", typo); code != 0 || again != out {
		t.Fatalf("second run: exit %d, %q, want %q", code, again, out)
	}
}
