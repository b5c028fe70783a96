package meter

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/upgradetest"
)

// tunnel opens an upgraded connection to path through the site on circuit.
func tunnel(t *testing.T, addr string, circuit uint32, path string, wait time.Duration) (int, int64) {
	line := fmt.Sprintf("PROXY TCP6 %s ::1 %d 80\r\n", circuitAddr(circuit), circuit&0xffff)
	return upgradetest.Open(t, addr, line, path, wait)
}

// TestUpgradeTunnelsMetered: a 101 tunnel through reverse_proxy is counted
// and closed at the allowance, alone or several in parallel on one
// circuit; with upgrades refused, no tunnel opens.
func TestUpgradeTunnelsMetered(t *testing.T) {
	const free = 200_000
	up := upgradetest.Upstream(t, 4<<20)
	site := startSite(t, map[string]map[string]any{
		"ws":     {"free_round": free, "grace": "-1ns"},
		"nows":   {"free_round": free, "upgrades": "refuse"},
		"wsfree": {"free_round": free, "grace": "-1ns"},
	}, up)
	t.Run("one tunnel", func(t *testing.T) {
		status, n := tunnel(t, site.ports["ws"], 9501, "/proxy/ws", 10*time.Second)
		if status != 101 || n > free || n == 0 {
			t.Fatalf("tunnel: status %d, carried %d bytes; allowance %d", status, n, free)
		}
		if got := site.servedTo("ws", circuitKey(9501), n); got < n || got > free {
			t.Fatalf("counted %d bytes, tunnel carried %d", got, n)
		}
	})
	t.Run("parallel tunnels of one circuit", func(t *testing.T) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int64
		)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, n := tunnel(t, site.ports["wsfree"], 9502, "/proxy/ws", 10*time.Second)
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total > free {
			t.Fatalf("6 tunnels carried %d bytes; allowance %d", total, free)
		}
	})
	t.Run("upgrades refused", func(t *testing.T) {
		if status, n := tunnel(t, site.ports["nows"], 9503, "/proxy/ws", 10*time.Second); status != 403 || n != 0 {
			t.Fatalf("upgrade with upgrades refuse: status %d, %d bytes; want 403", status, n)
		}
	})
}
