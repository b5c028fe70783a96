package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"

	"github.com/torplus/torplus/caddy-module/revenue"
)

// ErrVerifyIssuer means --stellar-rpc was given without --asset-issuer:
// the asset's SAC, whose events are checked, is named by its issuer.
var ErrVerifyIssuer = errors.New("--stellar-rpc needs --asset-issuer: the issuer (G…) of the report's asset, whose SAC's transfer events are checked")

// cmdRevenueVerify is "hoster revenue verify": the signature, then, given
// --stellar-rpc or --horizon, every listed transaction on the ledger.
func cmdRevenueVerify(fl caddycmd.Flags) (int, error) {
	file, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	rep, signer, err := revenue.Verify(file, fl.String("signer"))
	if err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("%s: %w", fl.Arg(0), err)
	}
	fmt.Fprintf(os.Stderr, "good signature by %s: %s income %s %s, %s to %s\n",
		signer, rep.Site, rep.Income, rep.AssetCode, rep.From, rep.To)
	if u := fl.String("stellar-rpc"); u != "" {
		if err := verifyOverRPC(u, fl.String("asset-issuer"), rep); err != nil {
			return caddy.ExitCodeFailedStartup, fmt.Errorf("%s: %w", fl.Arg(0), err)
		}
		fmt.Fprintf(os.Stderr, "all %d transactions are on the ledger (Stellar RPC) and paid %s\n", len(rep.Transactions), rep.Destination)
	}
	if u := fl.String("horizon"); u != "" {
		hz := &horizonclient.Client{HorizonURL: u, HTTP: &http.Client{Timeout: 30 * time.Second}}
		if err := revenue.CheckTransactions(context.Background(), hz, rep); err != nil {
			return caddy.ExitCodeFailedStartup, fmt.Errorf("%s: %w", fl.Arg(0), err)
		}
		fmt.Fprintf(os.Stderr, "all %d transactions are on the ledger and paid %s\n", len(rep.Transactions), rep.Destination)
	}
	if fl.String("format") == "csv" {
		return writeOutput("", rep.WriteCSV)
	}
	return writeOutput("", func(w io.Writer) error { return writeIndented(w, rep) })
}

// verifyOverRPC checks the report's transactions over the Stellar RPC at
// url, on the network the RPC names, against the SAC of the report's
// asset by issuer.
func verifyOverRPC(url, issuer string, rep revenue.Report) error {
	if issuer == "" {
		return ErrVerifyIssuer
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := rpcclient.NewClient(url, &http.Client{Timeout: 30 * time.Second})
	defer c.Close()
	nw, err := c.GetNetwork(ctx)
	if err != nil {
		return fmt.Errorf("asking %s for its network: %w", url, err)
	}
	return revenue.CheckTransactionsRPC(ctx, c, rep, revenue.Asset{Issuer: issuer, Passphrase: nw.Passphrase})
}
