package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"

	"github.com/torplus/torplus/caddy-module/revenue"
)

// Errors of hoster revenue payout.
var (
	// ErrPayoutSequence means neither --sequence nor --stellar-rpc nor
	// --horizon says the site account's sequence number.
	ErrPayoutSequence = errors.New("give the site account's sequence number: --sequence <n>, --stellar-rpc <url> or --horizon <url>")
	// ErrPayoutSAC means --sac was given without --stellar-rpc, which
	// simulates each transfer.
	ErrPayoutSAC = errors.New("--sac needs --stellar-rpc <url>: each SAC transfer is simulated there for its footprint and fee")
)

// payoutCommand is "hoster revenue payout".
func payoutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "payout --destination <G…> --asset-issuer <G…> (--sequence <n> | --stellar-rpc <url> | --horizon <url>) [--sac] [--payee <rule>]... [-o <tx file>] [--csv <file>]",
		Short: "Writes the period's payouts as one unsigned Stellar transaction (or SAC transfers) and a CSV",
		Long: `
Builds the period's revenue report (the same flags as "hoster revenue") and
writes what each payee is owed as one unsigned Stellar transaction (base64
XDR; one payment operation per payee, from the site's --destination
account, memo "torplus <from>-<to>"), for the owner to sign elsewhere: the
hosting machine never needs the key that pays. --csv also writes the
payouts, the site's own share and the total, which sum to the income.
The transaction uses the account's next sequence number: --sequence, or
read from --stellar-rpc or --horizon.

--sac pays through the asset's Stellar Asset Contract instead (transfer
calls, which can also pay contract accounts): a Soroban transaction holds
one operation, so it writes one unsigned transaction per payee, one per
line, with consecutive sequence numbers (submit them in order) and no memo
(CAP-67 forbids one), each simulated on --stellar-rpc for its footprint
and resource fee. The site account authorizes its transfers as the
transactions' source: signing each envelope is all the owner does.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	reportFlags(f)
	f.String("asset-issuer", "", "Issuer (G…) of the asset paid")
	f.Int64("sequence", 0, "The site account's current sequence number")
	f.String("stellar-rpc", "", "Read the sequence number (and, with --sac, simulate the transfers) on this Stellar RPC")
	f.String("horizon", "", "Read the sequence number from this Horizon")
	f.Bool("sac", false, "Pay by SAC transfers, one transaction per payee (needs --stellar-rpc)")
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
	rpcURL, sac := fl.String("stellar-rpc"), fl.Bool("sac")
	if sac && rpcURL == "" {
		return caddy.ExitCodeFailedStartup, ErrPayoutSAC
	}
	var rpc *rpcclient.Client
	if rpcURL != "" {
		rpc = rpcclient.NewClient(rpcURL, &http.Client{Timeout: 30 * time.Second})
		defer rpc.Close()
		if seq == 0 {
			acct, err := rpc.LoadAccount(ctx, rep.Destination)
			if err != nil {
				return caddy.ExitCodeFailedStartup, fmt.Errorf("reading %s from %s: %w", rep.Destination, rpcURL, err)
			}
			if seq, err = acct.GetSequenceNumber(); err != nil {
				return caddy.ExitCodeFailedStartup, err
			}
		}
	}
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
	terms := revenue.PayoutTerms{AssetIssuer: fl.String("asset-issuer"), Sequence: seq, Timeout: timeout}
	var txs []string
	if sac {
		nw, err := rpc.GetNetwork(ctx)
		if err != nil {
			return caddy.ExitCodeFailedStartup, fmt.Errorf("asking %s for its network: %w", rpcURL, err)
		}
		txs, err = revenue.SACPayoutTransactions(ctx, rpc, rep, terms, revenue.Asset{Issuer: terms.AssetIssuer, Passphrase: nw.Passphrase})
		if err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
	} else {
		tx, err := revenue.PayoutTransaction(rep, terms)
		if err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
		txs = []string{tx}
	}
	if name := fl.String("csv"); name != "" {
		if code, err := writeOutput(name, rep.WritePayoutCSV); err != nil {
			return code, err
		}
	}
	return writeOutput(fl.String("output"), func(w io.Writer) error {
		_, err := fmt.Fprintln(w, strings.Join(txs, "\n"))
		return err
	})
}
