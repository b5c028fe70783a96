package meter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/torplus/torplus/internal/browsertest"
)

// TestPaymentPageInChromium: a browser on a phone-sized screen gets the
// 402 page (its cookie set on that first response); the page shows the
// request's muxed address, memo, amount and asset, a QR code and the
// SEP-7 link, fits the screen without sideways scrolling, and once a
// wallet pays the muxed address straight to the network (seen on the
// ledger) the page continues by itself to the page asked for. A
// screenshot is kept as an artifact.
func TestPaymentPageInChromium(t *testing.T) {
	srv := startRPCNet(t, 200*time.Millisecond)
	r := startRPCSite(t, "page", srv, nil)
	page := "<!DOCTYPE html><title>paid</title><p id=content>the paid page</p>"
	if err := os.WriteFile(filepath.Join(r.dir, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(browsertest.Start(t, chromedp.WindowSize(390, 844)), time.Minute) // a phone's screen, CSS pixels
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(r.url("page", "/index.html")), chromedp.WaitVisible(chromedp.CSS("#address"))); err != nil {
		t.Fatal(err)
	}
	text := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	address, memo, amount := text(`document.getElementById("address").textContent`),
		text(`(document.getElementById("memo")||{}).textContent||""`), text(`document.getElementById("amount").textContent`)
	link := text(`document.querySelector("a.wallet").getAttribute("href")`)
	qr := text(`document.querySelector("img.qr").naturalWidth > 0 ? "ok" : ""`)
	fits := text(`document.documentElement.scrollWidth <= window.innerWidth ? "yes" : document.documentElement.scrollWidth + " > " + window.innerWidth`)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Keep(t, "payment-page.png", png)
	if !strings.HasPrefix(address, "M") || amount != "1.5" || !strings.HasPrefix(link, "web+stellar:pay?") || qr != "ok" {
		t.Fatalf("page shows address %q, memo %q, amount %q, link %q, QR %q", address, memo, amount, link, qr)
	}
	if fits != "yes" {
		t.Fatalf("the page is wider than a phone's screen: %s", fits)
	}

	// A wallet pays the address shown, straight to the network.
	r.walletPay(address, payStroops)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#content"))); err != nil { // the page reloads itself once paid
		t.Fatal(err)
	}
	if content := text(`document.getElementById("content").textContent`); content != "the paid page" {
		t.Fatalf("after paying the page shows %q", content)
	}
}
