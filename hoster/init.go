package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "init",
		Usage: "--asset-issuer <G…> [--network testnet|pubnet] [--stellar-rpc <url> | --horizon <url>] [--keys-dir <dir>] [--pay-to <G…>] [--format env|caddyfile]",
		Short: "Sets up real payments: keys, the settings to paste, and checks on the network",
		Long: `
Walks a site owner from the demo to real payments:

  1. makes the payee key (the account payments go to) and the fee
     account key (a key holding only XLM, which pays the fees of the
     payments the hoster submits) in --keys-dir, files of mode 0600; an
     existing key file is used again, never replaced. --pay-to uses an
     account you already have instead of a new payee key;
  2. prints the settings: .env lines for compose (--format env, the
     default) or a torplus Caddyfile block (--format caddyfile);
  3. checks on the network, through --stellar-rpc (getNetwork and
     getLedgerEntries) or else --horizon, that the server serves the
     network, that the accounts exist, that the payee trusts the asset
     and that the fee account holds XLM, and prints exactly what is
     missing and how to fix it.

The checks connect from this machine to the server; run init on
another machine if the server must not learn this one's address (the
hoster itself reaches Stellar through its own tor).

It exits 0 when all is ready, 1 when something is missing (run it again
after the fixes), 2 for a mistake in the flags. Seeds are never printed.`,
		CobraFunc: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.String("network", "testnet", `Stellar network: "testnet", "pubnet" or a network passphrase`)
			f.String("stellar-rpc", "", "Stellar RPC URL to check through, and to settle through in the printed settings (default on testnet: SDF's public RPC)")
			f.String("horizon", "", "Horizon URL, instead of --stellar-rpc (default on pubnet: SDF's Horizon)")
			f.String("asset-code", "TPT", "Code of the asset visitors pay in")
			f.String("asset-issuer", "", "Issuer account (G…) of the asset (required)")
			f.String("keys-dir", "torplus-keys", "Folder for the key files (made mode 0700)")
			f.String("pay-to", "", "Your existing Stellar account (G…) to be paid at, instead of a new payee key")
			f.String("format", "env", "Print the settings as env (.env lines) or caddyfile")
			cmd.RunE = hosterCommand(cmd, false, cmdInit)
		},
	})
}

// ErrNotReady means "hoster init" found something missing on the network.
var ErrNotReady = fmt.Errorf("not ready yet: fix what is listed above, then run hoster init again")

func cmdInit(fl caddycmd.Flags) (int, error) {
	passphrase, err := networkPassphrase(fl.String("network"))
	if err != nil {
		return ExitUsage, err
	}
	issuer, code, format := fl.String("asset-issuer"), fl.String("asset-code"), fl.String("format")
	if err := checkAccount("asset-issuer", issuer); err != nil {
		return ExitUsage, err
	}
	if format != "env" && format != "caddyfile" {
		return ExitUsage, fmt.Errorf("--format %q: %w: want env or caddyfile", format, ErrBadValue)
	}
	payTo := fl.String("pay-to")
	dir := fl.String("keys-dir")
	out := os.Stdout
	if payTo != "" {
		if err := checkAccount("pay-to", payTo); err != nil {
			return ExitUsage, err
		}
	} else {
		payee, made, err := loadOrCreateSeed(filepath.Join(dir, "payee.seed"))
		if err != nil {
			return ExitFailed, fmt.Errorf("payee key: %w", err)
		}
		payTo = payee.Address()
		reportKey(out, "payee", payTo, filepath.Join(dir, "payee.seed"), made)
	}
	fee, made, err := loadOrCreateSeed(filepath.Join(dir, "fee.seed"))
	if err != nil {
		return ExitFailed, fmt.Errorf("fee account key: %w", err)
	}
	reportKey(out, "fee account", fee.Address(), filepath.Join(dir, "fee.seed"), made)

	rpc, horizon := fl.String("stellar-rpc"), fl.String("horizon")
	if err := checkServers(rpc, horizon); err != nil {
		return ExitUsage, err
	}
	if rpc == "" && horizon == "" {
		// SDF's public RPC where there is one (testnet); else its Horizon.
		if rpc = publicRPC(passphrase); rpc == "" {
			horizon = publicHorizon(passphrase)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newStellarCheck(ctx, nil, rpc, horizon, passphrase, code, issuer)
	feeFile, _ := filepath.Abs(filepath.Join(dir, "fee.seed"))
	printSettings(out, format, initSettings{payTo: payTo, issuer: issuer, code: code, network: fl.String("network"),
		rpc: rpc, horizon: horizon, feeAddress: fee.Address(), feeFile: feeFile})
	if missing := c.report(out, payTo, fee.Address()); missing > 0 {
		return ExitFailed, fmt.Errorf("%d thing(s) %w", missing, ErrNotReady)
	}
	fmt.Fprintln(out, "all is ready: start the hoster with these settings (compose: paste the lines into compose/.env)")
	return ExitSuccess, nil
}

// reportKey says which key file holds which account.
func reportKey(w io.Writer, role, addr, file string, made bool) {
	verb := "uses"
	if made {
		verb = "made"
	}
	fmt.Fprintf(w, "# %s %s key %s in %s (mode 0600; keep it secret, back it up)\n", verb, role, addr, file)
}

// report runs the checks in order, prints each finding, and returns how
// many are missing. Later checks need the earlier ones (an account that
// does not exist trusts nothing), so they stop at the first gap of each
// account.
func (c *stellarCheck) report(w io.Writer, payTo, feeAddr string) int {
	findings := []finding{c.reachable()}
	if findings[0].ok {
		_, f := c.account("asset issuer", c.issuer)
		findings = append(findings, f)
		if acc, f := c.account("payee", payTo); acc == nil {
			findings = append(findings, f)
		} else {
			findings = append(findings, f, c.trusts("payee", acc))
		}
		if acc, f := c.account("fee", feeAddr); acc == nil {
			findings = append(findings, f)
		} else {
			findings = append(findings, f, c.hasXLM("fee", acc))
		}
	}
	return printFindings(w, findings, "missing")
}
