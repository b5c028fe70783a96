package attention

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
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
// report acknowledged only once committed) with 1,024 concurrent
// reporters (see reporters), so that group commit batches them as a busy
// site's would. In the same
// run it measures the baseline: the same number of reports stored as one
// row each, inserted in transactions of 256 rows through the same database
// connection at the same durability (the store's synchronous setting).
// The two alternate in slices, so that a machine shared with other work
// slows both alike, and it reports both, their ratio (ingest/baseline),
// the reports per commit and the CPU time per report (of this process:
// PostgreSQL's server is not counted). SQLite, and a real PostgreSQL server
// (internal/pgtest; it fails when PostgreSQL is not installed). 10,000
// sessions, each served by the meter first, take turns on 3 pages.
func BenchmarkIngest(b *testing.B) { benchDatabases(b, true) }

// BenchmarkIngestAttention is BenchmarkIngest without the meter's
// handler in front: the attention handler alone (still bound to the
// meter's identity by its lookup), to tell its cost from the meter's.
func BenchmarkIngestAttention(b *testing.B) { benchDatabases(b, false) }

func benchDatabases(b *testing.B, viaMeter bool) {
	b.Run("SQLite", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "store.db")}, viaMeter)
	})
	pg := pgtest.Start(b) // once: each b.Run below runs several times
	b.Run("PostgreSQL", func(b *testing.B) {
		benchIngest(b, store.Config{Driver: "postgres", DSN: pg.DSN}, viaMeter)
	})
}

// reporters is how many reports the benchmark has in flight at once. A
// site's visitors do not wait for each other's acknowledgements (each
// sends its next report seconds later, whatever the commit's latency), so
// the load is an open stream, not a few senders taking turns: with as
// many senders as one commit holds (maxBatch, the baseline's rows a
// transaction), all of them would wait out every commit together and the
// benchmark would measure its own round trip, not the server. Four
// commits' worth keeps the server busy; no commit holds more than
// maxBatch reports, as the baseline's transactions hold 256 rows.
const reporters = 4 * maxBatch

// slices is how many times the benchmark alternates between ingestion and
// the baseline.
const slices = 4

// benchSites numbers the benchmark's sites, so runs sharing one database
// never share rows.
var benchSites atomic.Int64

func benchIngest(b *testing.B, db store.Config, viaMeter bool) {
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
		if err := m.ServeHTTP(&statusWriter{h: http.Header{}}, newRequest("GET", "/", tokens[i], ""), noop); err != nil {
			b.Fatal(err)
		}
	}
	// The meter's writes of 10,000 new sessions and rounds are done
	// before the clock starts, not during the measurement.
	if err := h.site.Store.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	bodies := make([]string, len(pages))
	for i, p := range pages {
		bodies[i] = "path=" + p + "&visible_ms=0"
	}
	attention := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, noop) })
	report := func(i int) error {
		w := &statusWriter{h: http.Header{}}
		r := newRequest("POST", DefaultEndpoint, tokens[i%sessions], bodies[i%len(pages)])
		var err error
		if viaMeter {
			err = m.ServeHTTP(w, r, attention)
		} else {
			err = attention(w, r)
		}
		if err != nil || w.code != http.StatusNoContent {
			return fmt.Errorf("report %d: %d %v", i, w.code, err)
		}
		return nil
	}
	rec := h.site.Recorder
	commits, committed := rec.commits.Load(), rec.committed.Load()
	base := baseline{db: h.site.Reports.db, site: name, next: benchSites.Add(1) << 40}
	var ingestTime, baseTime, ingestCPU time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for k, done := 0, 0; k < slices; k++ {
		n := (b.N - done) / (slices - k)
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		if err := concurrently(done, done+n, report); err != nil {
			b.Fatal(err)
		}
		ingestTime += time.Since(start)
		ingestCPU += cpuTime() - cpu
		b.StopTimer()
		start = time.Now()
		base.insert(b, n)
		baseTime += time.Since(start)
		done += n
	}
	ingest, plain := float64(b.N)/ingestTime.Seconds(), float64(b.N)/baseTime.Seconds()
	b.ReportMetric(ingest, "reports/s")
	b.ReportMetric(plain, "baseline/s")
	b.ReportMetric(ingest/plain, "ratio")
	b.ReportMetric(float64(ingestCPU.Nanoseconds())/float64(b.N), "cpu-ns/report")
	b.ReportMetric(float64(rec.committed.Load()-committed)/float64(max(1, rec.commits.Load()-commits)), "reports/commit")
}

// concurrently calls report(i) for each i in [from, to), with reporters
// calls in flight at once, and returns the first error.
func concurrently(from, to int, report func(int) error) error {
	var next atomic.Int64
	next.Store(int64(from))
	errs := make(chan error, reporters)
	for range reporters {
		go func() {
			for i := int(next.Add(1) - 1); i < to; i = int(next.Add(1) - 1) {
				if err := report(i); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range reporters {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// sessionHeader is identity.SessionHeader in canonical form.
var sessionHeader = http.CanonicalHeaderKey(identity.SessionHeader)

// newRequest makes a request as Caddy hands it to its handlers: parsed,
// with Caddy's request variables (where the meter records whom it
// identified for the handlers after it, identity.Identified). It is built
// directly rather than parsed from text (httptest.NewRequest), so the
// benchmark measures the handlers, not a request parser.
func newRequest(method, path, token, form string) *http.Request {
	r := &http.Request{Method: method, URL: &url.URL{Path: path}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{sessionHeader: {token}}, Host: "example.onion", RemoteAddr: "192.0.2.1:1234",
		RequestURI: path, Body: http.NoBody}
	if form != "" {
		r.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(form)), int64(len(form))
	}
	return r.WithContext(context.WithValue(context.Background(), caddyhttp.VarsCtxKey, map[string]any{}))
}

// baseline stores reports as one row each, 256 rows a transaction, on the
// site's database: a plain batched insert at the store's durability.
type baseline struct {
	db    *sql.DB
	site  string
	next  int64 // the next row's id
	ready bool
}

// insert stores n rows.
func (p *baseline) insert(b *testing.B, n int) {
	ctx := context.Background()
	if !p.ready {
		if _, err := p.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_plain_reports (
			id BIGINT PRIMARY KEY, site TEXT NOT NULL, path TEXT NOT NULL, visible_ms BIGINT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		p.ready = true
	}
	for done := 0; done < n; {
		tx, err := p.db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO bench_plain_reports (id, site, path, visible_ms) VALUES ($1, $2, $3, $4)`)
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < 256 && done < n; k, done = k+1, done+1 {
			if _, err := stmt.ExecContext(ctx, p.next, p.site, "/about.html", 0); err != nil {
				b.Fatal(err)
			}
			p.next++
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// statusWriter keeps only the status, so the benchmark measures the handler.
type statusWriter struct {
	h    http.Header
	code int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }
