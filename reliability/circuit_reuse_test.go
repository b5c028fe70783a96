package reliability

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestCircuitReuse: visitors without a token, each on its own circuit, pay
// for a round of four fetches and use one; the hoster (and with it its
// tor, whose circuit ids start at 1 again) restarts; then strangers on the
// same circuit ids, all at once, ask for the file. Each must get a 402 of
// its own (the site gives no free round): every byte a stranger gets is a
// byte of an earlier visitor's paid round, counted as excess. Before the
// restart each payer's next fetch is served, so the balances the strangers
// try to inherit are real.
func TestCircuitReuse(t *testing.T) {
	circuits, restarts := harness.Size(16, 200), harness.Size(2, 5)
	st := harness.StartStellar(t, circuits)
	site := harness.Site{
		Root:     harness.SiteFiles(t, roundBytes, 0),
		Torplus:  append(st.Terms("1"), "free_round off", fmt.Sprintf("round %dB", 4*roundBytes), "grace off"),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	accept := http.Header{"Accept": {"application/json"}}
	row := tally.Row{Faults: int64(restarts), Records: int64(circuits)}
	var excess, attempts atomic.Int64
	for round := range restarts {
		base := uint32(7000 + round*circuits) // fresh circuit ids for each round's payers
		eachCircuit(t, circuits, func(i int) {
			c := harness.NewClient(h.Addr, base+uint32(i))
			defer c.CloseIdleConnections()
			resp, err := c.Get(ctx, "/f.bin", accept)
			if err != nil || resp.StatusCode != http.StatusPaymentRequired {
				t.Errorf("circuit %d before paying: %v %v", base+uint32(i), resp, err)
				return
			}
			o, err := harness.OfferOf(resp)
			if err != nil {
				t.Error(err)
				return
			}
			env, _, err := st.Pay(st.Payers[i], o.Request)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err = c.Get(ctx, "/f.bin", http.Header{"Authorization": {o.Credential(env)}})
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("circuit %d paying: %v %v", base+uint32(i), resp, err)
				return
			}
			if resp, err := c.Get(ctx, "/f.bin", nil); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("circuit %d's paid round not served before the restart: %v %v", base+uint32(i), resp, err)
			}
		})
		if t.Failed() {
			return
		}
		h.Stop() // graceful: every balance is in the store
		h.Start()
		eachCircuit(t, circuits, func(i int) {
			c := harness.NewClient(h.Addr, base+uint32(i))
			defer c.CloseIdleConnections()
			attempts.Add(1)
			resp, err := c.Get(ctx, "/f.bin", accept)
			switch {
			case err != nil:
				t.Errorf("stranger on circuit %d: %v", base+uint32(i), err)
			case resp.StatusCode == http.StatusOK:
				excess.Add(int64(len(resp.Body)))
			case resp.StatusCode != http.StatusPaymentRequired:
				t.Errorf("stranger on circuit %d: status %d", base+uint32(i), resp.StatusCode)
			}
		})
	}
	row.Inputs, row.Excess = attempts.Load(), excess.Load()
	tally.Record(t, row)
	if row.Excess != 0 {
		t.Fatalf("strangers on reused circuit ids got %d bytes of earlier visitors' paid rounds", row.Excess)
	}
}

// eachCircuit runs f(0) … f(n-1), eight at a time.
func eachCircuit(t *testing.T, n int, f func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() { defer wg.Done(); defer func() { <-sem }(); f(i) }()
	}
	wg.Wait()
}
