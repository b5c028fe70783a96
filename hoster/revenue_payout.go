package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"

	"github.com/torplus/torplus/caddy-module/revenue"
)

// ErrPayoutSequence means neither --sequence nor --horizon says the site
// account's sequence number.
var ErrPayoutSequence = errors.New("give the site account's sequence number: --sequence <n> or --horizon <url>")

// payoutCommand is "hoster revenue payout".
func payoutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "payout --destination <G…> --asset-issuer <G…> (--sequence <n> | --horizon <url>) [--payee <rule>]... [-o <tx file>] [--csv <file>]",
		Short: "Writes the period's payouts as one unsigned Stellar transaction and a CSV",
		Long: `
Builds the period's revenue report (the same flags as "hoster revenue") and
writes what each payee is owed as one unsigned Stellar transaction (base64
XDR; one payment operation per payee, from the site's --destination
account, memo "torplus <from>-<to>"), for the owner to sign elsewhere: the
hosting machine never needs the key that pays. --csv also writes the
payouts, the site's own share and the total, which sum to the income.
The transaction uses the account's next sequence number: --sequence, or
read from --horizon.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	reportFlags(f)
	f.String("asset-issuer", "", "Issuer (G…) of the asset paid")
	f.Int64("sequence", 0, "The site account's current sequence number")
	f.String("horizon", "", "Read the sequence number from this Horizon")
	f.Int64("timeout", 0, "Seconds the transaction may be submitted in (default: no bound)")
	f.StringP("output", "o", "", "Write the transaction to this file instead of standard output")
	f.String("csv", "", "Also write the payouts as CSV to this file")
	cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdRevenuePayout)
	return cmd
}

func cmdRevenuePayout(fl caddycmd.Flags) (int, error) {
	ctx := context.Background()
	rep, err := buildReport(ctx, fl)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	if fl.String("asset-issuer") == "" {
		return caddy.ExitCodeFailedStartup, errors.New("--asset-issuer is required: the issuer of the asset paid")
	}
	seq, _ := fl.GetInt64("sequence")
	timeout, _ := fl.GetInt64("timeout")
	if u := fl.String("horizon"); u != "" && seq == 0 {
		hz := &horizonclient.Client{HorizonURL: u, HTTP: &http.Client{Timeout: 30 * time.Second}}
		acct, err := hz.AccountDetail(horizonclient.AccountRequest{AccountID: rep.Destination})
		if err != nil {
			return caddy.ExitCodeFailedStartup, fmt.Errorf("reading %s from %s: %w", rep.Destination, u, err)
		}
		seq = acct.Sequence
	}
	if seq == 0 {
		return caddy.ExitCodeFailedStartup, ErrPayoutSequence
	}
	tx, err := revenue.PayoutTransaction(rep, revenue.PayoutTerms{AssetIssuer: fl.String("asset-issuer"), Sequence: seq, Timeout: timeout})
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	if name := fl.String("csv"); name != "" {
		if code, err := writeOutput(name, rep.WritePayoutCSV); err != nil {
			return code, err
		}
	}
	return writeOutput(fl.String("output"), func(w io.Writer) error {
		_, err := fmt.Fprintln(w, tx)
		return err
	})
}
