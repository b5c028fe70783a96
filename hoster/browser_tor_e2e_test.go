package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/browsertest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestBrowserThroughTor: Chromium through the private Tor network's SOCKS
// port: the first visit sets the session cookie and is served from the
// free round; the next is the 402 page (a screenshot is kept); a wallet
// pays the address it shows straight to the simulated RPC and the page
// continues by itself; on a new circuit (another SOCKS user: tor isolates
// it), the cookie still carries the paid balance.
func TestBrowserThroughTor(t *testing.T) {
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	stellar := startFeeNetwork(t, "")
	id, _ := startMeteredHoster(ctx, t, tn, 1000, func(dataDir string) string {
		return `torplus {
			price 1.5
			destination ` + clienttest.Operator.Address() + `
			asset TPT ` + clienttest.Issuer.Address() + `
			network "` + spt.Passphrase + `"
			free_round 1000B
			round 200KB
			grace off
			backend rpc ` + stellar.rpc.URL + `
			fee_account_seed_file ` + stellar.seedFile + `
			watch_interval 200ms
			store sqlite ` + filepath.Join(dataDir, "store.db") + `
		}`
	})
	page := "http://" + id + ".onion/index.html"
	bctx, bcancel := context.WithTimeout(browsertest.Start(t, chromedp.WindowSize(390, 844), chromedp.ProxyServer("socks5://"+tn.SocksAddr),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")), 5*time.Minute)
	defer bcancel()
	text := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// 1. The free round, and the cookie.
	if err := chromedp.Do(bctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#content"))); err != nil {
		t.Fatalf("first visit: %v", err)
	}
	var cookie string
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{page}})
		for _, c := range res.Cookies {
			if c.Name == identity.CookieName && c.HTTPOnly && c.Path == "/" {
				cookie = c.Value
			}
		}
		return err
	})); err != nil || cookie == "" {
		t.Fatalf("no HttpOnly session cookie after the first visit: %v", err)
	}
	// 2. The 402 page (another URL of the page: not answered from the cache).
	if err := chromedp.Do(bctx, chromedp.Navigate(page+"?again"), chromedp.WaitVisible(chromedp.CSS("#address"))); err != nil {
		body, _ := chromedp.Run(context.WithoutCancel(bctx), chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 300) : ""`))
		t.Fatalf("second visit: %v; the page shows %q", err, body)
	}
	address := text(`document.getElementById("address").textContent`)
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Keep(t, "payment-page-tor.png", png)
	if !strings.HasPrefix(address, "M") {
		t.Fatalf("the page shows address %q", address)
	}
	// 3. A wallet pays it straight to the network; the page continues.
	walletPay(ctx, t, stellar.rpc, stellar.ledger.ContractID(clienttest.TPT), address, 15_000_000)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS("#content"))); err != nil {
		t.Fatalf("the page did not continue after the payment: %v", err)
	}
	// 4. A new circuit, the same cookie: the paid round is still there.
	hc, err := tn.HTTPClient("another-circuit")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", page, nil)
	req.Header.Set("Cookie", identity.CookieName+"="+cookie)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the cookie on a new circuit: %s, want the paid round", resp.Status)
	}
}

// walletPay pays amount of the SAC contract from clienttest.Payer to "to"
// as a wallet does: built, simulated, signed and sent by the payer itself,
// straight to the RPC (the Go SDK).
func walletPay(ctx context.Context, t *testing.T, srv *rpcsim.Server, contract [32]byte, to string, amount int64) {
	t.Helper()
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 10 * time.Second})
	defer c.Close()
	from, _ := sac.ParseAddress(clienttest.Payer.Address())
	dest, err := sac.ParseAddress(to)
	if err != nil {
		t.Fatal(err)
	}
	call := sac.Transfer{Contract: contract, From: from, To: dest, Amount: amount}.Args()
	w := rpcsim.Wallet{Client: c, Passphrase: spt.Passphrase}
	p, err := w.Prepare(ctx, clienttest.Payer.Address(), call, clienttest.Payer, 100)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.Envelope(ctx, clienttest.Payer, call, p)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env}); err != nil || resp.Status != "PENDING" {
		t.Fatalf("sendTransaction: %+v, %v", resp, err)
	}
}
