package attention

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

// BenchmarkIngest measures reports/s through the meter and the whole
// attention handler (identify, the meter's lookup, read, validate against
// the site's files, rate limits, the wall-time check, group commit: each
// report acknowledged only once committed) with 64 concurrent reporters
// (b.SetParallelism), so that group commit batches them as a busy site's
// would. In the same run it measures the baseline: the same number of
// reports stored as one row each, inserted in transactions of 256 rows
// through the same database connection at the same durability (the
// store's synchronous setting), and reports both and their ratio
// (ingest/baseline). SQLite, and a real PostgreSQL server (internal/pgtest;
// it fails when PostgreSQL is not installed). 10,000 sessions, each served
// by the meter first, take turns on 3 pages.
func BenchmarkIngest(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "store.db")})
	})
	pg := pgtest.Start(b) // once: each b.Run below runs several times
	b.Run("PostgreSQL", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "postgres", DSN: pg.DSN})
	})
}

// reporters is how many reports the benchmark has in flight at once: as
// many as the baseline's rows per transaction, so that group commit can
// batch as many.
const reporters = 256

// benchSites numbers the benchmark's sites, so runs sharing one database
// never share rows.
var benchSites atomic.Int64

func benchIngest(b *testing.B, db store.Config) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	name := fmt.Sprintf("bench-%d", benchSites.Add(1))
	m := &meter.Handler{Zone: name, Price: "1", Destination: keypair.MustRandom().Address(),
		AssetIssuer: keypair.MustRandom().Address(), AllowClearnet: true, Store: db,
		// A backend no report reaches: without one the meter warns on
		// stderr, which splits bench/run's result lines.
		Backend: "horizon", HorizonURL: "http://127.0.0.1:9"}
	if err := m.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Cleanup()
	h := &Handler{Site: name, Zone: name, AllowClearnet: true, Root: site(b), Store: db,
		PerMinute: 1 << 30, Burst: 1 << 20, NewSessions: 1 << 30}
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	defer h.Cleanup()
	const sessions = 10_000
	pages := []string{"/", "/about.html", "/articles/growing.html"}
	tokens := make([]string, sessions)
	noop := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	for i := range tokens {
		t := make([]byte, identity.TokenSize)
		rand.Read(t)
		tokens[i] = base64.RawURLEncoding.EncodeToString(t)
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set(identity.SessionHeader, tokens[i])
		if err := m.ServeHTTP(&statusWriter{h: http.Header{}}, r, noop); err != nil {
			b.Fatal(err)
		}
	}
	// The meter's writes of 10,000 new sessions and rounds are done
	// before the clock starts, not during the measurement.
	if err := h.site.Store.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	attention := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, noop) })
	var next atomic.Int64
	b.SetParallelism(max(1, reporters/runtime.GOMAXPROCS(0))) // RunParallel multiplies by GOMAXPROCS
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := &statusWriter{h: http.Header{}}
		for pb.Next() {
			i := next.Add(1)
			r := httptest.NewRequest("POST", DefaultEndpoint, strings.NewReader("path="+pages[i%3]+"&visible_ms=0"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set(identity.SessionHeader, tokens[i%sessions])
			// Caddy's request variables, where the meter records whom it
			// identified for the handlers after it (identity.Identified).
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
			w.code = 0
			if err := m.ServeHTTP(w, r, attention); err != nil || w.code != http.StatusNoContent {
				b.Errorf("report %d: %d %v", i, w.code, err)
				return
			}
		}
	})
	ingest := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	base := baselineInsert(b, h.site, b.N)
	b.ReportMetric(ingest, "reports/s")
	b.ReportMetric(base, "baseline/s")
	b.ReportMetric(ingest/base, "ratio")
}

// baselineInsert stores n reports as one row each, 256 rows a
// transaction, on the site's database, and returns rows/s.
func baselineInsert(b *testing.B, s *Site, n int) float64 {
	db := s.Reports.db
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_plain_reports (
		id BIGINT PRIMARY KEY, site TEXT NOT NULL, path TEXT NOT NULL, visible_ms BIGINT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	base := benchSites.Add(1) << 40
	start := time.Now()
	for done := 0; done < n; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO bench_plain_reports (id, site, path, visible_ms) VALUES ($1, $2, $3, $4)`)
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < 256 && done < n; k, done = k+1, done+1 {
			if _, err := stmt.ExecContext(ctx, base+int64(done), s.Name, "/about.html", 0); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// statusWriter keeps only the status, so the benchmark measures the handler.
type statusWriter struct {
	h    http.Header
	code int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }
