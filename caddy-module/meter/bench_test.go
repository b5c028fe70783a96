package meter

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkFileServer compares the metered server with plain file_server
// (both real Caddy servers behind the proxy_protocol listener, one client
// connection with keep-alive) for 4 KiB and 1 MiB files. Requests alternate
// between the two in small batches so load from elsewhere hits both alike.
// It reports each side's req/s and MB/s and their ratios (targets: ≥ 0.97
// of plain's req/s at 4 KiB, ≥ 0.99 of its MB/s at 1 MiB).
func BenchmarkFileServer(b *testing.B) {
	site := startSite(b, map[string]map[string]any{
		"bench": {"free_round": int64(1) << 50, "free_bytes_per_minute": -1}, // never runs out: measure the metering itself
		"plain": {},
	}, "")
	for _, size := range []struct {
		name string
		n    int
	}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}} {
		site.file(size.name, size.n)
		b.Run(size.name, func(b *testing.B) {
			plain, metered := newClient(1, "", ""), newClient(2, "", "")
			fetch := func(c *client, zone string) {
				resp, err := c.Get(site.url(zone, "/"+size.name))
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || n != int64(size.n) {
					b.Fatalf("%s: %s, %d bytes", zone, resp.Status, n)
				}
			}
			fetch(plain, "plain") // warm both connections
			fetch(metered, "bench")
			const batch = 20
			var tPlain, tMetered time.Duration
			b.SetBytes(int64(size.n))
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				k := min(batch, b.N-done)
				run := func(c *client, zone string) time.Duration {
					start := time.Now()
					for range k {
						fetch(c, zone)
					}
					return time.Since(start)
				}
				if done/batch%2 == 0 { // alternate which side goes first
					tPlain += run(plain, "plain")
					tMetered += run(metered, "bench")
				} else {
					tMetered += run(metered, "bench")
					tPlain += run(plain, "plain")
				}
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(n/tPlain.Seconds(), "plain-req/s")
			b.ReportMetric(n/tMetered.Seconds(), "torplus-req/s")
			b.ReportMetric(tPlain.Seconds()/tMetered.Seconds(), "ratio-req/s")
			b.ReportMetric(n*float64(size.n)/1e6/tMetered.Seconds(), "torplus-MB/s")
			b.ReportMetric(n*float64(size.n)/1e6/tPlain.Seconds(), "plain-MB/s")
		})
	}
}
