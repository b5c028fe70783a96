package reliability

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestAttentionForgery: attention reports from fresh identities — a new
// tor circuit each, half of them with a new TorPlus-Session token too —
// sent in parallel, each claiming 10 minutes on one page, before and after
// a restart of the hoster, move nothing: every one is refused (422: the
// meter served the identity a moment ago; 429 once the new-session bound
// is spent), and the page's stored visible time stays 0. One honest
// visitor's report counts, exactly. The row's inputs are the forged
// reports; any forged millisecond stored fails the test.
func TestAttentionForgery(t *testing.T) {
	forged, workers := harness.Size(200, 2000), 16
	st := harness.StartStellar(t, 1)
	site := harness.Site{
		Root:      harness.SiteFiles(t, 1000, 2),
		Torplus:   append(st.Terms("1"), "free_round 1MB"),
		Attention: []string{"new_sessions 50"},
		LogLevel:  "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	honest := harness.NewClient(h.Addr, 7)
	defer honest.CloseIdleConnections()
	honest.Token = randomToken()
	if resp, err := honest.Get(ctx, "/p/0.html", nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("honest visit: %v %v", resp, err)
	}
	if resp, err := honest.PostJSON(ctx, "/.well-known/torplus/attention", `{"path":"/p/0.html","visible_ms":1000}`); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("honest report: %v %v", resp, err)
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	attack := func(from, to int) {
		var wg sync.WaitGroup
		work := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					c := harness.NewClient(h.Addr, uint32(100_000+i))
					if i%2 == 0 {
						c.Token = randomToken()
					}
					resp, err := c.PostJSON(ctx, "/.well-known/torplus/attention", `{"path":"/p/1.html","visible_ms":600000}`)
					c.CloseIdleConnections()
					code := -1
					if err == nil {
						code = resp.StatusCode
					}
					mu.Lock()
					statuses[code]++
					mu.Unlock()
				}
			}()
		}
		for i := from; i < to; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	attack(0, forged/2)
	h.Stop()
	h.Start()
	attack(forged/2, forged)
	h.Stop()

	for code, n := range statuses {
		if code != http.StatusUnprocessableEntity && code != http.StatusTooManyRequests {
			t.Errorf("%d forged reports answered %d, want 422 or 429", n, code)
		}
	}
	if statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("the new-session bound never refused a forged report: %v", statuses)
	}
	books := harness.ReadBooks(t, site.Store)
	if ms := books.VisibleMS["/p/1.html"]; ms != 0 {
		t.Errorf("forged reports stored %d ms on the attacked page", ms)
	}
	if ms := books.VisibleMS["/p/0.html"]; ms != 1000 {
		t.Errorf("the honest report stored %d ms, want 1000", ms)
	}
	t.Logf("forged reports answered %v", statuses)
	row := tally.Row{Faults: 1, Inputs: int64(forged), Records: 2}
	if books.Reports["/p/0.html"] != 1 {
		row.Lost = 1 // the honest, acknowledged report
	}
	tally.Record(t, row)
}
