package attention

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

// BenchmarkIngest measures reports/s through the whole handler (read,
// validate against the site's files, rate limit, wall-time check, batch)
// into each ledger database, the last batch's write included: SQLite, and
// a real PostgreSQL server (internal/pgtest; it fails when PostgreSQL is
// not installed). 10,000 sessions take turns on 3 pages while a swapped
// clock advances 1 ms a report.
func BenchmarkIngest(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "store.db")})
	})
	pg := pgtest.Start(b) // once: each b.Run below runs several times
	b.Run("PostgreSQL", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "postgres", DSN: pg.DSN})
	})
}

// benchSites numbers the benchmark's sites, so runs sharing one database
// never share rows.
var benchSites atomic.Int64

func benchIngest(b *testing.B, db store.Config) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	clock := t0
	h := &Handler{Site: fmt.Sprintf("bench-%d", benchSites.Add(1)), Root: site(b),
		Store: db, now: func() time.Time { return clock }}
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	defer h.Cleanup()
	const sessions = 10_000
	pages := []string{"/", "/about.html", "/articles/growing.html"}
	bodies := make([]string, sessions)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("session=session-%016d&path=%s&visible_ms=%d", i, pages[i%3], 5000)
	}
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	w := &statusWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clock = clock.Add(time.Millisecond)
		r := httptest.NewRequest("POST", DefaultEndpoint, strings.NewReader(bodies[i%sessions]))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w.code = 0
		if err := h.ServeHTTP(w, r, next); err != nil || w.code != http.StatusNoContent {
			b.Fatalf("report %d: %d %v", i, w.code, err)
		}
	}
	if err := h.site.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// statusWriter keeps only the status, so the benchmark measures the handler.
type statusWriter struct {
	h    http.Header
	code int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }
