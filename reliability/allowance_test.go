package reliability

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// The terms of the allowance tests' sites (no payment is made in them).
var (
	allowanceDest   = keypair.MustRandom().Address()
	allowanceIssuer = keypair.MustRandom().Address()
)

// allowanceSite starts a hoster whose free round is free bytes, with no
// grace (the allowance ends in a cut, so every byte past it would show),
// serving a file four times larger.
func allowanceSite(t *testing.T, free int, extra ...string) *harness.Hoster {
	t.Helper()
	site := harness.Site{
		Root: harness.SiteFiles(t, 4*free, 0),
		Torplus: append([]string{"price 1", "destination " + allowanceDest, "asset TPT " + allowanceIssuer,
			fmt.Sprintf("free_round %dB", free), "grace off"}, extra...),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	return h
}

// content fetches /f.bin with each client at once and returns the attempts
// and the content bytes that arrived (200 bodies, cut or whole).
func content(ctx context.Context, clients []*harness.Client) (attempts, got int64) {
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.CloseIdleConnections()
			if status, n, _ := c.Fetch(ctx, "/f.bin"); status == 200 {
				total.Add(n)
			}
		}()
	}
	wg.Wait()
	return int64(len(clients)), total.Load()
}

// TestParallelDrain: one circuit (and one token on many circuits) opens
// many streams at once for a file larger than its free round, round after
// round of attempts: together they never get more than one allowance.
func TestParallelDrain(t *testing.T) {
	const free = 256 << 10
	streams, rounds := harness.Size(16, 64), harness.Size(4, 20)
	h := allowanceSite(t, free)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	row := tally.Row{}
	for r := range rounds {
		token := randomToken()
		for _, kind := range []string{"circuit", "token"} {
			clients := make([]*harness.Client, streams)
			for i := range clients {
				if kind == "circuit" {
					clients[i] = harness.NewClient(h.Addr, uint32(20_000+r)) // one circuit, many streams
				} else {
					clients[i] = harness.NewClient(h.Addr, uint32(30_000+r*streams+i))
					clients[i].Token = token
				}
			}
			n, got := content(ctx, clients)
			row.Inputs += n
			row.Records++
			if got > free {
				row.Excess += got - free
				t.Errorf("round %d, one %s: %d streams got %d bytes, allowance %d", r, kind, streams, got, free)
			}
		}
	}
	tally.Record(t, row)
}

// TestTokenFarming: a fresh session token per request on one circuit
// shares the circuit's one free round.
func TestTokenFarming(t *testing.T) {
	const free = 256 << 10
	circuits, tokens := harness.Size(4, 20), harness.Size(16, 64)
	h := allowanceSite(t, free)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	row := tally.Row{}
	for c := range circuits {
		clients := make([]*harness.Client, tokens)
		for i := range clients {
			clients[i] = harness.NewClient(h.Addr, uint32(40_000+c))
			clients[i].Token = randomToken()
		}
		n, got := content(ctx, clients)
		row.Inputs += n
		row.Records++
		if got > free {
			row.Excess += got - free
			t.Errorf("circuit %d: %d fresh tokens got %d bytes, one free round is %d", c, tokens, got, free)
		}
	}
	tally.Record(t, row)
}

// TestLockout: fresh tokens flood a small max_sessions while earlier
// visitors come back: no one gets 503 (a newcomer is served or asked for
// payment), and an evicted visitor gets no second free round.
func TestLockout(t *testing.T) {
	const free = 64 << 10
	flood := harness.Size(400, 4000)
	h := allowanceSite(t, free, "max_sessions 50")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	row := tally.Row{}
	// Visitors that spend their free round first.
	early := make([]*harness.Client, 20)
	for i := range early {
		early[i] = harness.NewClient(h.Addr, uint32(50_000+i))
		early[i].Token = randomToken()
		early[i].Fetch(ctx, "/f.bin")
	}
	var unavailable atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := harness.NewClient(h.Addr, uint32(60_000+i))
				c.Token = randomToken()
				if status, _, _ := c.Fetch(ctx, "/f.bin"); status == 503 || status == 0 {
					unavailable.Add(1)
				}
				c.CloseIdleConnections()
			}
		}()
	}
	for i := range flood {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	row.Inputs = int64(flood)
	row.Lost = unavailable.Load() // visitors turned away
	if row.Lost != 0 {
		t.Errorf("%d of %d newcomers got no answer or 503", row.Lost, flood)
	}
	for i, c := range early {
		row.Records++
		if status, n, _ := c.Fetch(ctx, "/f.bin"); status == 200 {
			row.Excess += n
			t.Errorf("visitor %d came back after eviction to a fresh free round (%d bytes)", i, n)
		}
	}
	tally.Record(t, row)
}
