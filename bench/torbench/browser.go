package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TorBrowserAcceptEncoding is what Tor Browser (Firefox ESR 128) sends to
// an onion site, which it treats as a secure context. Chromium sends only
// "gzip, deflate" over plain http, so the benchmark sets this header on
// both sides: the loads are a Tor Browser visitor's.
const TorBrowserAcceptEncoding = "gzip, deflate, br, zstd"

// errNoLoad is returned when a page's load event does not come in time.
var errNoLoad = errors.New("no load event")

// browser is one headless Chromium whose every connection goes through
// the SOCKS forwarder (and so through tor); it never resolves a name
// itself.
type browser struct {
	root   context.Context
	cancel func()
	fwd    *socksForwarder
}

// startBrowser starts Debian's Chromium with a throw-away profile in dir.
func startBrowser(chromium, dir string, fwd *socksForwarder) (*browser, error) {
	path, err := exec.LookPath(chromium)
	if err != nil {
		return nil, fmt.Errorf("headless Chromium is needed (apt-get install chromium): %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir), chromedp.WindowSize(1200, 900),
		chromedp.ProxyServer("socks5://"+fwd.Addr()),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"), // no DNS outside the proxy
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"))
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelA()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	return &browser{root: ctx, cancel: func() { cancel(); cancelA() }, fwd: fwd}, nil
}

// Close stops Chromium (chromedp ends it by its PID).
func (b *browser) Close() { b.cancel() }

// visitor is one visitor: a browser context of its own (a fresh profile:
// empty cache, no cookies, no open connections) on one circuit.
type visitor struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	get    map[network.RequestID]bool // requests that are GETs (the beacon's POST is not the page)
	wire   float64                    // encodedDataLength of the GETs finished
	reqs   int
	enc    map[string]int // responses by Content-Encoding ("" for none)
}

// newVisitor opens a new browser context whose connections tor puts on a
// new circuit (a new SOCKS user name).
func (b *browser) newVisitor(user string) (*visitor, error) {
	b.fwd.SetUser(user)
	v := &visitor{get: map[network.RequestID]bool{}, enc: map[string]int{}}
	v.ctx, v.cancel = chromedp.NewContext(b.root, chromedp.WithNewBrowserContext(), chromedp.WithListener(v.event))
	err := chromedp.Do(v.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Encoding": TorBrowserAcceptEncoding}})
		return err
	}))
	if err != nil {
		v.cancel()
		return nil, err
	}
	return v, nil
}

// Close disposes of the visitor's browser context.
func (v *visitor) Close() { v.cancel() }

func (v *visitor) event(ev any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		v.get[ev.RequestID] = ev.Request.Method == "GET"
	case *network.EventResponseReceived:
		if v.get[ev.RequestID] && !ev.Response.FromDiskCache {
			e, _ := ev.Response.Headers["Content-Encoding"].(string)
			if e == "" {
				e, _ = ev.Response.Headers["content-encoding"].(string)
			}
			v.enc[e]++
		}
	case *network.EventLoadingFinished:
		if v.get[ev.RequestID] {
			v.wire += ev.EncodedDataLength
			if ev.EncodedDataLength > 0 {
				v.reqs++
			}
		}
	}
}

// pageLoad is what one load of a page measured.
type pageLoad struct {
	LoadMs, FirstByteMs float64 // Navigation Timing's loadEventStart and responseStart
	Bytes               int64   // on the wire, headers included, GETs only
	Requests            int     // GETs that went to the network
	Encodings           map[string]int
}

// load navigates to url with the cache on or off and waits for the load
// event.
func (v *visitor) load(url string, cache bool) (pageLoad, error) {
	v.mu.Lock()
	v.get, v.wire, v.reqs, v.enc = map[network.RequestID]bool{}, 0, 0, map[string]int{}
	v.mu.Unlock()
	ctx, cancel := context.WithTimeout(v.ctx, 2*time.Minute)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: !cache})
		return err
	}), chromedp.Navigate(url))
	if err != nil {
		return pageLoad{}, fmt.Errorf("%s: %w", url, err)
	}
	for range 600 {
		t, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const n = performance.getEntriesByType('navigation')[0];
			return n ? [n.responseStart, n.loadEventStart, n.loadEventEnd] : [0, 0, 0]; })()`))
		if err != nil {
			return pageLoad{}, fmt.Errorf("%s: %w", url, err)
		}
		if len(t) == 3 && t[2] > 0 {
			time.Sleep(50 * time.Millisecond) // the last loadingFinished events arrive after the load event
			v.mu.Lock()
			defer v.mu.Unlock()
			return pageLoad{LoadMs: t[1], FirstByteMs: t[0], Bytes: int64(v.wire), Requests: v.reqs, Encodings: v.enc}, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return pageLoad{}, fmt.Errorf("%w: %s", errNoLoad, url)
}
