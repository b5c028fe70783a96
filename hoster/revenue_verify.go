package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"

	"github.com/torplus/torplus/caddy-module/revenue"
)

// cmdRevenueVerify is "hoster revenue verify": the signature, then, given
// --horizon, every listed transaction on the ledger.
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
