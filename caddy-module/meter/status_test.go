package meter

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/client/clienttest"
)

// TestStatusPollFlood: a flood of payment-status polls for made-up ids,
// each on a new connection with a fresh token, in parallel, against the
// real server. Each poll that gets through costs a store read, so the zone
// answers no more than its budget (a burst, then the rate over the
// flood's duration); the rest get 429 with Retry-After. Once the flood
// stops, a visitor's poll is answered again.
func TestStatusPollFlood(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	s := startPaySite(t, "polled", paidZone(hz.URL))
	endpoint := s.url("polled", DefaultPaymentEndpoint)
	const polls, workers = 400, 40
	var answered, refused, other atomic.Int64
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > polls {
					return
				}
				c := &client{Client: &http.Client{Timeout: 30 * time.Second}, token: newToken()}
				resp, _ := c.get(t, endpoint+"?id="+payreq.NewID().String())
				switch {
				case resp.StatusCode == http.StatusOK:
					answered.Add(1)
				case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
					refused.Add(1)
				default:
					other.Add(1)
				}
				c.CloseIdleConnections() // a new connection a poll, as from new circuits
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	budget := int64(statusPollsBurst + statusPollsPerSecond*took.Seconds() + 1)
	t.Logf("%d polls in %s: %d answered (budget %d), %d refused", polls, took.Round(time.Millisecond), answered.Load(), budget, refused.Load())
	switch {
	case other.Load() != 0:
		t.Fatalf("%d polls got neither 200 nor 429 with Retry-After", other.Load())
	case answered.Load() > budget:
		t.Fatalf("%d polls reached the store in %s; the zone allows %d", answered.Load(), took, budget)
	case refused.Load() == 0:
		t.Fatalf("all %d polls in %s were answered: the flood was not bounded", polls, took)
	}
	time.Sleep(time.Second / statusPollsPerSecond * 2)
	resp, body := (&client{Client: http.DefaultClient, token: newToken()}).get(t, endpoint+"?id="+payreq.NewID().String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a poll after the flood: %s %s", resp.Status, body)
	}
}
