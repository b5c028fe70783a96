package reliability

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/internal/upgradetest"
	"github.com/torplus/torplus/reliability/harness"
)

// TestUpgradeTunnels: WebSocket-style 101 tunnels through reverse_proxy,
// many at once on one circuit, each upstream streaming far more than the
// free round: together they carry at most the allowance.
func TestUpgradeTunnels(t *testing.T) {
	const free = 256 << 10
	tunnels, rounds := harness.Size(8, 32), harness.Size(3, 10)
	site := harness.Site{
		Root: harness.SiteFiles(t, 1, 0),
		Torplus: []string{"price 1", "destination " + allowanceDest, "asset TPT " + allowanceIssuer,
			fmt.Sprintf("free_round %dB", free), "grace off"},
		Proxy:    upgradetest.Upstream(t, 8*free),
		LogLevel: "ERROR",
	}
	h := harness.NewHoster(t, func(h *harness.Hoster) string {
		site.Store = "sqlite " + filepath.Join(h.Dir, "store.db")
		return site.Caddyfile(h)
	})
	h.Start()
	row := tally.Row{}
	for r := range rounds {
		var wg sync.WaitGroup
		var got atomic.Int64
		for range tunnels {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, n := upgradetest.Open(t, h.Addr, harness.ProxyHeader(uint32(80_000+r)), "/proxy/ws", 30*time.Second)
				got.Add(n)
			}()
		}
		wg.Wait()
		row.Inputs += int64(tunnels)
		row.Records++
		if got.Load() > free {
			row.Excess += got.Load() - free
			t.Errorf("round %d: %d tunnels of one circuit carried %d bytes, allowance %d", r, tunnels, got.Load(), free)
		}
		if got.Load() == 0 {
			t.Errorf("round %d: no tunnel carried anything (is the upgrade reaching the upstream?)", r)
		}
	}
	tally.Record(t, row)
}
