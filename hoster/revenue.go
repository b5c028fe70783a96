package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
	_ "github.com/torplus/torplus/caddy-module/dashboard" // the dashboard admin page
	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/revenue"
	"github.com/torplus/torplus/caddy-module/store"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "revenue",
		Usage: "[--site <name>] [--from <YYYY-MM-DD>] [--to <YYYY-MM-DD>] [--pool <amount>] [--destination <G…>] [--payee <rule>]... [--format json|csv] [--sign --key-file <file>] [--store sqlite|postgres] [--dsn <path or url>]",
		Short: "Splits each payment among the pages its session read; signs, verifies and pays out such reports",
		Long: `
Reports a site's income over a period — the payment requests paid in it,
plus an optional --pool amount (say, a monthly allocation) — as JSON or
CSV. Each payment is split among the pages its own session read in the
rounds that payment bought (by visible time from attention reports, by
page bytes when the session sent none); free-round attention is only
statistics. Each page's amount goes to the payees of the first --payee
rule matching it ("/articles/ GA…:2 GB…:1": a prefix or a path.Match
pattern, accounts with weights); the rest is the site's (--destination).
Amounts are exact, in stroops (7 decimal places); every split sums to its
whole, and the report says who has the rounding remainders.

The period is [--from, --to) in UTC days, by default the current month.
The data comes from the store database the hoster writes (--store and
--dsn, as in the torplus handler's "store" option; default: store.db in
--data-dir, the directory hoster serve uses). --destination and --asset choose which payments
count (default: every paid TPT request).

--sign signs the JSON report with the site's Stellar key, read from
--key-file (a file of mode 0600 holding the S… seed) or from the
TORPLUS_STELLAR_SEED environment variable; the seed is never printed.
"hoster revenue verify <file>" checks a signed report (with --stellar-rpc
and --asset-issuer, or --horizon, also each listed transaction on the
ledger); "hoster revenue payout"
writes the period's payouts as one unsigned Stellar transaction and CSV.`,
		CobraFunc: func(cmd *cobra.Command) {
			f := cmd.Flags()
			reportFlags(f)
			f.String("format", "json", "json or csv")
			f.Bool("sign", false, "Sign the JSON report with the site's Stellar key")
			f.String("key-file", "", "File (mode 0600) with the Stellar secret seed; default $"+revenue.SeedEnv)
			f.StringP("output", "o", "", "Write to this file instead of standard output")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdRevenue)
			verify := &cobra.Command{
				Use:   "verify [--signer <G…>] [--stellar-rpc <url> --asset-issuer <G…>] [--horizon <url>] [--format json|csv] <file>",
				Short: "Checks a signed revenue report (and, given --stellar-rpc or --horizon, its transactions on the ledger) and prints it",
				Args:  cobra.ExactArgs(1),
			}
			verify.Flags().String("signer", "", "Require this Stellar account to be the signer")
			verify.Flags().String("stellar-rpc", "", "Check that each listed transaction exists on this Stellar RPC and paid the site (classic payments and SAC transfers alike, by the asset's SAC events)")
			verify.Flags().String("asset-issuer", "", "Issuer (G…) of the report's asset, whose SAC --stellar-rpc checks")
			verify.Flags().String("horizon", "", "Check that each listed transaction exists on this Horizon and paid the site")
			verify.Flags().String("format", "json", "Print the verified report as json or csv")
			verify.RunE = caddycmd.WrapCommandFuncForCobra(cmdRevenueVerify)
			cmd.AddCommand(verify, payoutCommand())
		},
	})
}

// reportFlags are the flags that choose a report: period, store, terms.
func reportFlags(f *pflag.FlagSet) {
	f.String("site", attention.DefaultSite, "Site name, as in torplus_attention")
	f.String("from", "", "First day of the period, YYYY-MM-DD (default: first of this month)")
	f.String("to", "", "Day after the period, YYYY-MM-DD (default: first of next month)")
	f.String("pool", "0", "Amount added to the payments' income")
	f.String("store", "sqlite", "Store database: sqlite or postgres")
	f.String("dsn", "", "SQLite file or PostgreSQL URL (default: the store of --data-dir)")
	f.String("data-dir", "", "The hoster's state directory, whose store.db is read when no --dsn is given (default: "+onionservice.DefaultDataDir()+")")
	f.String("destination", "", "The site's Stellar account: count only payments to it; it is paid what no payee rule claims")
	f.String("asset", attention.DefaultAsset, "Asset code income is counted in")
	f.StringArray("payee", nil, `A payee rule, as torplus_attention's: "<prefix/ or pattern> <G…>[:<weight>]..." (repeatable; first match wins)`)
}

// buildReport builds the report the flags of reportFlags choose.
func buildReport(ctx context.Context, fl caddycmd.Flags) (revenue.Report, error) {
	from, to := revenue.Month(time.Now())
	var err error
	if v := fl.String("from"); v != "" {
		if from, err = attention.ParseDay(v); err != nil {
			return revenue.Report{}, err
		}
	}
	if v := fl.String("to"); v != "" {
		if to, err = attention.ParseDay(v); err != nil {
			return revenue.Report{}, err
		}
	}
	pool, err := revenue.ParseAmount(fl.String("pool"))
	if err != nil {
		return revenue.Report{}, fmt.Errorf("--pool: %w", err)
	}
	terms := attention.RevenueTerms{Destination: fl.String("destination"), AssetCode: fl.String("asset")}
	rules, _ := fl.GetStringArray("payee")
	for _, v := range rules {
		r, err := attention.ParsePayeeRule(strings.Fields(v))
		if err != nil {
			return revenue.Report{}, fmt.Errorf("--payee %q: %w", v, err)
		}
		terms.Payees = append(terms.Payees, r)
	}
	cfg := store.Config{Driver: fl.String("store"), DSN: fl.String("dsn")}
	if cfg.DSN == "" && cfg.Driver == "sqlite" {
		dir, err := absDataDir(fl.String("data-dir"))
		if err != nil {
			return revenue.Report{}, err
		}
		cfg = storeConfig(dir)
	}
	cfg, err = cfg.Resolved()
	if err != nil {
		return revenue.Report{}, err
	}
	if cfg.Driver == "sqlite" {
		if _, err := os.Stat(cfg.DSN); err != nil {
			return revenue.Report{}, fmt.Errorf("no store database: %w", err)
		}
	}
	l, err := store.Acquire(ctx, cfg, nil)
	if err != nil {
		return revenue.Report{}, err
	}
	defer l.Release()
	db, driver, _ := store.SQL(l)
	reports, err := attention.NewSQLStore(ctx, db, driver)
	if err != nil {
		return revenue.Report{}, err
	}
	return revenue.Build(ctx, l, reports, revenue.Inputs{Site: fl.String("site"), From: from, To: to, Pool: pool,
		Terms: terms, Now: time.Now()})
}

// ErrFormat means --format is neither json nor csv (or csv with --sign).
var ErrFormat = errors.New(`--format must be "json" or "csv" (signed reports are JSON)`)

func cmdRevenue(fl caddycmd.Flags) (int, error) {
	format, sign := fl.String("format"), fl.Bool("sign")
	if (format != "json" && format != "csv") || (sign && format != "json") {
		return caddy.ExitCodeFailedStartup, ErrFormat
	}
	var kp *keypair.Full
	var err error
	if sign {
		if kp, err = revenue.LoadKey(fl.String("key-file")); err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
	}
	rep, err := buildReport(context.Background(), fl)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	return writeOutput(fl.String("output"), func(w io.Writer) error {
		switch {
		case sign:
			b, err := revenue.Sign(rep, kp)
			if err == nil {
				_, err = w.Write(b)
			}
			return err
		case format == "csv":
			return rep.WriteCSV(w)
		default:
			return writeIndented(w, rep)
		}
	})
}

// writeOutput runs write on the named file (created 0644), or on standard
// output when name is "".
func writeOutput(name string, write func(io.Writer) error) (int, error) {
	if name == "" {
		if err := write(os.Stdout); err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
		return caddy.ExitCodeSuccess, nil
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	return caddy.ExitCodeSuccess, nil
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
