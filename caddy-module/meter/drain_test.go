package meter

import (
	"strconv"
	"sync"
	"testing"
)

// parallelFetch fetches url on n connections at once, each made by mk, and
// returns the content bytes that arrived in total (bodies of 200 and 206
// responses; a 402's payment request is not content).
func parallelFetch(t *testing.T, n int, url string, mk func(i int) *client) int64 {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, got, _ := mk(i).fetch(t, url)
			if status != 200 && status != 206 {
				return
			}
			mu.Lock()
			total += got
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total
}

// TestParallelDrainHolds attacks the allowance of one session with many
// concurrent responses (connections, or tor streams of one circuit, or one
// token on many circuits): together they get at most the allowance (each
// chunk is reserved before it is sent), never a round each.
func TestParallelDrainHolds(t *testing.T) {
	const (
		free  = 1 << 20
		conns = 8
	)
	site := startSite(t, map[string]map[string]any{"drain": {"free_round": free, "grace": "-1ns"}}, upstream(t, 4<<20))
	site.file("big.bin", 4<<20)
	tests := []struct {
		name   string
		path   string
		client func(i int) *client
		key    string
	}{
		{"one circuit, file_server", "/big.bin", func(int) *client { return newClient(7001, "", "") }, circuitKey(7001)},
		{"one circuit, reverse_proxy", "/proxy/x", func(int) *client { return newClient(7002, "", "") }, circuitKey(7002)},
		{"one token, many circuits", "/big.bin", func() func(int) *client {
			tok := newToken()
			return func(i int) *client { return newClient(uint32(7100+i), "", tok) }
		}(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parallelFetch(t, conns, site.url("drain", tt.path), tt.client)
			if got > free {
				t.Fatalf("%d responses in parallel got %d bytes; allowance %d (%d beyond)", conns, got, free, got-free)
			}
			if tt.key == "" {
				return
			}
			if served := site.servedTo("drain", tt.key, got); served < got || served > free {
				t.Fatalf("counted %d bytes, client received %d, allowance %d", served, got, free)
			}
		})
	}
}

// TestParallelFreeBudgetHolds: fresh circuits fetching at once share the
// global free budget (reserved per chunk), and the budget is never driven
// below zero, so a newcomer is told to come back within a minute (not the
// many minutes an overdraft would take to repay).
func TestParallelFreeBudgetHolds(t *testing.T) {
	const budget = 1 << 20
	site := startSite(t, map[string]map[string]any{"fb": {"free_round": 8 << 20, "free_bytes_per_minute": budget}}, "")
	site.file("big.bin", 4<<20)
	site.file("small.txt", 1)
	got := parallelFetch(t, 8, site.url("fb", "/big.bin"), func(i int) *client { return newClient(uint32(7200+i), "", "") })
	// The bucket refills continuously (≈17 KiB/s): allow what the test's
	// own duration can have added, at most one extra minute's worth.
	if got > 2*budget {
		t.Fatalf("8 fresh circuits got %d free bytes; budget %d per minute", got, budget)
	}
	resp, _ := newClient(7299, "", "").get(t, site.url("fb", "/small.txt"))
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 200 && (resp.StatusCode != 402 || retry < 1 || retry > 61) {
		t.Fatalf("newcomer after the drain: %s with Retry-After %q, want 200 or 402 with ≤ 61 s", resp.Status, resp.Header.Get("Retry-After"))
	}
}
