// Command torplus-pay fetches a URL through Tor and pays the site's TorPlus
// payment requests in a Stellar asset (TPT) from the user's own account, so
// that a paid onion site can be used without a browser.
//
// Usage:
//
//	torplus-pay -demo <hoster data dir> -n 30 -o /dev/null http://<onion>.onion/   # a "hoster serve --demo"
//	TORPLUS_STELLAR_SEED=S... torplus-pay -stellar-rpc https://soroban-testnet.stellar.org -stellar-via-socks \
//	    -asset-issuer G... -max-payment 2 -budget 20 -n 10 -o page.html http://<onion>.onion/file
//
// With -stellar-rpc it pays in the standard formats (the Payment scheme's
// stellar charge, pull or push, and x402's exact), as -pay-via orders
// them; with -horizon alone, TorPlus's own classic payment. The budget
// (-max-payment, -budget) holds whatever the format.
//
// The seed comes from -seed-file (mode 0600) or $TORPLUS_STELLAR_SEED and is
// never printed. Progress goes to standard error; bodies to -o (standard
// output by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command; it returns the exit status (0 ok, 1 failure, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("torplus-pay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		socks       = fs.String("socks", "127.0.0.1:9050", "SOCKS5 proxy (Tor's SocksPort)")
		socksUser   = fs.String("socks-user", "", "SOCKS username (Tor isolates circuits by credentials)")
		socksPass   = fs.String("socks-pass", "", "SOCKS password")
		rpcURL      = fs.String("stellar-rpc", "", "Stellar RPC URL to pay SAC transfers through (the standard formats)")
		horizonURL  = fs.String("horizon", "", "Horizon URL to read our account's sequence number from (TorPlus's own classic payments)")
		stellarTor  = fs.Bool("stellar-via-socks", false, "reach the Stellar RPC and Horizon through the SOCKS proxy too")
		passphrase  = fs.String("network", network.TestNetworkPassphrase, "Stellar network passphrase to pay on")
		assetCode   = fs.String("asset-code", "TPT", "asset to pay in")
		assetIssuer = fs.String("asset-issuer", "", "issuer of the asset (required)")
		maxPayment  = fs.String("max-payment", "", "most one payment may cost, e.g. 2.5 (required)")
		budget      = fs.String("budget", "", "most all payments together may cost (required)")
		seedFile    = fs.String("seed-file", "", "file holding the paying account's secret seed (mode 0600); else $"+client.SeedEnv)
		via         = fs.String("pay-via", "", "ways to pay, in order of preference, comma-separated: payment (Payment scheme, pull), x402, push (Payment scheme, push), classic, callback (SEP-7 POST); default "+formatList(client.DefaultFormats))
		count       = fs.Int("n", 1, "fetch the URL this many times")
		out         = fs.String("o", "-", "write bodies to this file (- for standard output)")
		session     = fs.String("session", "", "TorPlus-Session token to send (random if empty)")
		timeout     = fs.Duration("timeout", 2*time.Minute, "timeout of each request")
		demo        = fs.String("demo", "", `data directory of a hoster running "serve --demo": pay its simulated network (sets -stellar-rpc, -horizon, -network, -asset-issuer, -seed-file, and a budget)`)
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: torplus-pay [flags] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *demo != "" {
		if err := useDemo(fs, *demo); err != nil {
			fmt.Fprintln(stderr, "torplus-pay:", err)
			return 1
		}
	}
	perPayment, err1 := payreq.ParseAmount(*maxPayment)
	total, err2 := payreq.ParseAmount(*budget)
	switch {
	case fs.NArg() != 1:
		fs.Usage()
		return 2
	case (*horizonURL == "" && *rpcURL == "") || *assetIssuer == "":
		fmt.Fprintln(stderr, "torplus-pay: -stellar-rpc or -horizon, and -asset-issuer, are required")
		return 2
	case err1 != nil || err2 != nil || perPayment <= 0 || total <= 0:
		fmt.Fprintln(stderr, "torplus-pay: -max-payment and -budget must be positive amounts with at most 7 decimals")
		return 2
	case *count < 1:
		fmt.Fprintln(stderr, "torplus-pay: -n must be at least 1")
		return 2
	}
	key, err := stellarpay.LoadSeed(*seedFile, client.SeedEnv)
	if err != nil {
		fmt.Fprintln(stderr, "torplus-pay:", err)
		return 1
	}
	web, err := client.NewHTTPClient(*socks, *socksUser, *socksPass, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "torplus-pay:", err)
		return 1
	}
	defer web.CloseIdleConnections()
	formats, err := parseFormats(*via)
	if err != nil {
		fmt.Fprintln(stderr, "torplus-pay: -pay-via:", err)
		return 2
	}
	stellarHTTP := &http.Client{Timeout: *timeout}
	if *stellarTor {
		stellarHTTP = web
	}
	cfg := client.Config{
		HTTP: web, Key: key, Session: *session, Formats: formats,
		Policy: client.Policy{NetworkPassphrase: *passphrase, AssetCode: *assetCode, AssetIssuer: *assetIssuer,
			Budget: &client.Budget{PerPayment: int64(perPayment), Total: int64(total)}},
		Logf: func(format string, args ...any) { fmt.Fprintf(stderr, "torplus-pay: "+format+"\n", args...) },
	}
	if *horizonURL != "" {
		cfg.Horizon = &horizonclient.Client{HorizonURL: *horizonURL, HTTP: stellarHTTP}
	}
	if *rpcURL != "" {
		cfg.RPC = rpcclient.NewClient(*rpcURL, stellarHTTP)
		defer cfg.RPC.Close()
	}
	c, err := client.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "torplus-pay:", err)
		return 1
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "torplus-pay:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	status := fetchAll(ctx, c, fs.Arg(0), *count, w, stderr)
	n, stroops := c.Paid()
	fmt.Fprintf(stderr, "torplus-pay: %d payments, %s %s in all, from %s\n", n, payreq.Amount(stroops), *assetCode, c.Address())
	return status
}

// fetchAll fetches url count times, copying the bodies to w.
func fetchAll(ctx context.Context, c *client.Client, url string, count int, w, stderr io.Writer) int {
	var total int64
	for i := range count {
		resp, err := c.Get(ctx, url)
		if err != nil {
			fmt.Fprintf(stderr, "torplus-pay: fetch %d of %d: %v\n", i+1, count, err)
			return 1
		}
		n, err := io.Copy(w, resp.Body)
		resp.Body.Close()
		total += n
		if err != nil {
			fmt.Fprintf(stderr, "torplus-pay: fetch %d of %d: reading the body: %v\n", i+1, count, err)
			return 1
		}
		if resp.StatusCode/100 != 2 {
			fmt.Fprintf(stderr, "torplus-pay: fetch %d of %d: HTTP %d\n", i+1, count, resp.StatusCode)
			return 1
		}
	}
	fmt.Fprintf(stderr, "torplus-pay: fetched %d times, %d bytes\n", count, total)
	if errors.Is(ctx.Err(), context.Canceled) {
		return 1
	}
	return 0
}

// parseFormats reads -pay-via: format names, comma-separated; empty is
// the client's default order.
func parseFormats(s string) ([]client.Format, error) {
	if s == "" {
		return nil, nil
	}
	var out []client.Format
	for _, name := range strings.Split(s, ",") {
		f, err := client.ParseFormat(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// formatList names formats as -pay-via takes them.
func formatList(fs []client.Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}
