package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

func TestRun(t *testing.T) {
	p := clienttest.StartPaywall(t, false)
	socks := clienttest.StartSOCKS(t, "", "")
	seedFile := filepath.Join(t.TempDir(), "seed")
	if err := os.WriteFile(seedFile, []byte(clienttest.Payer.Seed()), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"-socks", socks.Addr(), "-horizon", p.Horizon.URL, "-network", spt.Passphrase,
		"-asset-issuer", clienttest.Issuer.Address(), "-max-payment", "2", "-budget", "10"}
	tests := []struct {
		name     string
		args     []string
		status   int
		stdout   string
		stderr   []string
		operator int64 // operator's TPT afterwards
	}{
		{name: "pays and fetches", args: []string{"-seed-file", seedFile, "-n", "3", p.URL + "/file"}, status: 0,
			stdout: strings.Repeat("the content", 3), stderr: []string{"2 payments, 3 TPT", "fetched 3 times, 33 bytes"}, operator: 30_000_000},
		{name: "budget too small", args: []string{"-seed-file", seedFile, "-budget", "1", p.URL + "/file"}, status: 1,
			stderr: []string{"exceeds the budget"}, operator: 30_000_000},
		{name: "no seed", args: []string{p.URL + "/file"}, status: 1, stderr: []string{"no usable Stellar seed"}, operator: 30_000_000},
		{name: "usage", args: []string{"-n", "0", p.URL + "/file"}, status: 2, stderr: []string{"-n must be"}, operator: 30_000_000},
		{name: "unknown format", args: []string{"-seed-file", seedFile, "-pay-via", "authorization", p.URL + "/file"}, status: 2,
			stderr: []string{"unknown payment format"}, operator: 30_000_000},
		{name: "a format without its backend", args: []string{"-seed-file", seedFile, "-pay-via", "x402", p.URL + "/file"}, status: 1,
			stderr: []string{"none of [x402] can be paid"}, operator: 30_000_000},
		{name: "through the SEP-7 callback", args: []string{"-seed-file", seedFile, "-pay-via", "callback", p.URL + "/file"}, status: 0,
			stdout: "the content", stderr: []string{"1 payments, 1.5 TPT", "in callback"}, operator: 45_000_000},
	}
	t.Setenv("TORPLUS_STELLAR_SEED", "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{}, base...), tc.args...)
			if got := run(context.Background(), args, &stdout, &stderr); got != tc.status {
				t.Fatalf("status %d, want %d; stderr:\n%s", got, tc.status, stderr.String())
			}
			if stdout.String() != tc.stdout {
				t.Fatalf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Fatalf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), clienttest.Payer.Seed()) {
				t.Fatal("the seed was printed")
			}
			if got, _ := p.Horizon.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); got != tc.operator {
				t.Fatalf("operator holds %d, want %d", got, tc.operator)
			}
		})
	}
}

// TestRunDemo: -demo <data dir> pays the network a "hoster serve --demo"
// describes there, from its demo payer, with no other payment flag.
func TestRunDemo(t *testing.T) {
	p := clienttest.StartPaywall(t, false)
	socks := clienttest.StartSOCKS(t, "", "")
	dataDir := t.TempDir()
	if err := client.WriteDemo(dataDir, client.DemoNetwork{HorizonURL: p.Horizon.URL, NetworkPassphrase: spt.Passphrase,
		AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address()}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(client.DemoPayerSeedFile(dataDir), []byte(clienttest.Payer.Seed()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TORPLUS_STELLAR_SEED", "")
	for _, tc := range []struct {
		name   string
		dir    string
		status int
		want   string
	}{
		{"pays the demo", dataDir, 0, "2 payments, 3 TPT"},
		{"no demo there", t.TempDir(), 1, "no usable demo network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), []string{"-demo", tc.dir, "-socks", socks.Addr(), "-n", "3", p.URL + "/file"}, &stdout, &stderr); got != tc.status || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("status %d, stderr:\n%s\nwant %d and %q", got, stderr.String(), tc.status, tc.want)
			}
		})
	}
}
