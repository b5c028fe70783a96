package attention

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestForgedReportsMoveNothing attacks item 8 of issue 14 against a real
// Caddy with the meter and the attention handler: 200 reports from fresh
// identities (a new TorPlus-Session token each, sent in parallel over many
// connections), each claiming 10 minutes on one page, are all refused —
// 422 while new attention sessions are allowed (a fresh identity was
// served a moment ago, so it has seconds to report, not minutes), 429 with
// Retry-After once the global bound of new sessions per minute is spent —
// and leave the page's totals at what the one honest session reported.
func TestForgedReportsMoveNothing(t *testing.T) {
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) { testForgedReports(t, driver) })
	}
}

func testForgedReports(t *testing.T, driver string) {
	const forged, newPerMinute = 200, 50
	srv := startSite(t, site(t), driver, "new_sessions 50")
	ep := srv.Site + DefaultEndpoint

	start := time.Now()
	honest := newToken()
	if code := visit(t, srv.Site, honest, "/about.html"); code != 200 {
		t.Fatalf("honest visit: %d", code)
	}
	if code, body, _ := post(t, ep, honest, "application/json", jsonReport("/about.html", 1500)); code != 204 {
		t.Fatalf("honest report: %d %s", code, body)
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{} // a connection pool of its own
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			for range work {
				req, _ := http.NewRequest("POST", ep, strings.NewReader(jsonReport("/about.html", 10*60_000)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("TorPlus-Session", newToken())
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < forged; i++ {
		work <- i
	}
	close(work)
	wg.Wait()

	// The honest session took one of the new sessions; the bucket refills
	// newPerMinute a minute while the attack runs.
	refilled := int(time.Since(start).Minutes()*newPerMinute) + 1
	if statuses[422]+statuses[429] != forged || statuses[422] < newPerMinute-1 || statuses[422] > newPerMinute-1+refilled {
		t.Errorf("forged reports answered %v, want %d (+ at most %d refilled) 422 and the rest 429", statuses, newPerMinute-1, refilled)
	}
	got := adminAttention(t, srv.Admin, "testsite")
	if len(got.Pages) != 1 || got.Pages[0] != (PageTotal{"/about.html", 1500, 1}) {
		t.Errorf("attention after the forgery %+v, want only the honest session's 1500 ms", got.Pages)
	}
}
