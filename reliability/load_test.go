package reliability

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestLoad: thousands of concurrent clients, each on its own circuit
// (PROXY header), download and pay for a bounded time. No answer is a 5xx
// and every request is answered; once the clients have left (their idle
// sessions evicted), the hoster's goroutines and live heap are back near
// where they were before the load.
func TestLoad(t *testing.T) {
	clients, seconds := harness.Size(1_000, 10_000), harness.Size(15, 60)
	if lim := harness.FileLimit(); lim < uint64(clients)+1000 {
		t.Fatalf("open-files limit %d is too low for %d clients: raise the hard limit (ulimit -Hn)", lim, clients)
	}
	st := harness.StartStellar(t, clients)
	const file = 4000
	site := harness.Site{
		Root: harness.SiteFiles(t, file, 0),
		Torplus: append(st.Terms("0.1"), "free_round 12KB", "round 16KB", "throttle 100KB",
			"idle_timeout 3s", "settle_timeout 30s"),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	// Warm up the paths the load takes, then take the baseline.
	warm := harness.NewClient(h.Addr, 1)
	for range 5 {
		if _, err := warm.Get(context.Background(), "/f.bin", nil); err != nil {
			t.Fatal(err)
		}
	}
	warm.CloseIdleConnections()
	time.Sleep(5 * time.Second) // the warm-up session is evicted
	before, err := h.ReadRuntime()
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+120)*time.Second)
	defer cancel()
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	ramp := time.Duration(seconds) * time.Second / 4
	var requests, payments, errs, walletErrs atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int64{}
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(ramp * time.Duration(i) / time.Duration(clients))
			c := harness.NewClient(h.Addr, uint32(100_000+i))
			defer c.CloseIdleConnections()
			c.Token = randomToken()
			seen := map[int]int64{}
			var lastPaid payreq.ID
			for time.Now().Before(end) && ctx.Err() == nil {
				resp, err := c.Get(ctx, "/f.bin", http.Header{"Accept": {"application/json"}})
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, "GET: "+err.Error())
					time.Sleep(100 * time.Millisecond)
					continue
				}
				seen[resp.StatusCode]++
				// Pay as the TorPlus client does: the early notice on a 2xx,
				// else the 402's request; each request once.
				if resp.StatusCode != http.StatusPaymentRequired && resp.Header.Get("WWW-Authenticate") == "" {
					continue
				}
				o, err := harness.OfferOf(resp)
				pr := o.Request
				if err != nil {
					seen[-1]++
					continue
				}
				if pr.ID == lastPaid {
					continue
				}
				lastPaid = pr.ID
				env, _, err := st.Pay(st.Payers[i], pr)
				if err != nil { // the payer's wallet could not read Horizon: not the hoster's doing
					walletErrs.Add(1)
					continue
				}
				pay, err := c.PostForm(ctx, "/.well-known/torplus/pay", url.Values{"xdr": {env}})
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				seen[pay.StatusCode+1000]++ // payment answers apart
				if pay.StatusCode >= 500 {
					firstErr.CompareAndSwap(nil, fmt.Sprintf("payment answered %d: %s", pay.StatusCode, pay.Body))
				}
				if pay.StatusCode == http.StatusOK {
					payments.Add(1)
				}
			}
			mu.Lock()
			for k, v := range seen {
				statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d clients, %d requests, %d payments settled, %d errors (first: %v), %d wallet reads of Horizon failed; statuses (1xxx: payment endpoint) %v",
		clients, requests.Load(), payments.Load(), errs.Load(), firstErr.Load(), walletErrs.Load(), statuses)
	var fives int64
	for s, n := range statuses {
		if s%1000 >= 500 {
			fives += n
		}
	}
	if fives > 0 || errs.Load() > 0 {
		t.Errorf("%d answers were 5xx and %d requests failed", fives, errs.Load())
	}
	if payments.Load() == 0 || statuses[http.StatusOK] == 0 {
		t.Errorf("no download or no payment succeeded: the load proved nothing")
	}

	// After the clients left: their sessions are evicted after idle_timeout
	// (3 s, swept every 2 s); goroutines and heap come back down.
	var after harness.Runtime
	deadline := time.Now().Add(60 * time.Second)
	for {
		if after, err = h.ReadRuntime(); err != nil {
			t.Fatal(err)
		}
		if after.Goroutines <= before.Goroutines+5 && after.HeapAlloc <= before.HeapAlloc+16<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("60 s after the load: %d goroutines (before: %d), live heap %d KiB (before: %d KiB)",
				after.Goroutines, before.Goroutines, after.HeapAlloc>>10, before.HeapAlloc>>10)
			break
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("before the load: %d goroutines, %d KiB live heap; after: %d goroutines, %d KiB",
		before.Goroutines, before.HeapAlloc>>10, after.Goroutines, after.HeapAlloc>>10)
	tally.Record(t, tally.Row{Inputs: requests.Load(), Records: payments.Load()})
}
