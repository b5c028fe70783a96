package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestRows: the ingestion rows are the per-run ratios against the
// same-run baseline (median and range), and a database under 20,000
// reports/s misses whatever its ratio; a run without PostgreSQL's lines is
// an error, not a row missing.
func TestIngestRows(t *testing.T) {
	out := `goos: linux
BenchmarkIngest/SQLite-2   100000  5000 ns/op  250000 baseline/s  4100 cpu-ns/report  0.80 ratio  190 reports/commit  200000 reports/s  2500 B/op  26 allocs/op
BenchmarkIngest/SQLite-2   100000  5000 ns/op  240000 baseline/s  4000 cpu-ns/report  0.90 ratio  200 reports/commit  216000 reports/s  2500 B/op  26 allocs/op
BenchmarkIngest/SQLite-2   100000  5000 ns/op  300000 baseline/s  4200 cpu-ns/report  0.70 ratio  180 reports/commit  210000 reports/s  2500 B/op  26 allocs/op
BenchmarkIngest/PostgreSQL-2  100000  5000 ns/op  18000 baseline/s  0.95 ratio  17100 reports/s
`
	path := filepath.Join(t.TempDir(), "ingest.txt")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ingestRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		db            string
		ratio, lo, hi float64
		pass          bool
		figures       string
	}{
		{"SQLite", 0.80, 0.70, 0.90, true, "ingest 210000 reports/s · baseline 250000 rows/s · 190 reports/commit · 4.1 µs CPU/report"},
		{"PostgreSQL", 0.95, 0.95, 0.95, false, "ingest 17100 reports/s · baseline 18000 rows/s"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if !strings.Contains(r.What, w.db) || r.Ratio != w.ratio || r.Lo != w.lo || r.Hi != w.hi || r.pass() != w.pass || r.Figures != w.figures {
			t.Errorf("row %d: %+v (pass %v), want %+v", i, r, r.pass(), w)
		}
	}
	if !strings.Contains(table(rows[1:]), "**miss** (under 20000 reports/s)") {
		t.Errorf("the slow row does not say why it misses:\n%s", table(rows[1:]))
	}
	if err := os.WriteFile(path, []byte(strings.Split(out, "BenchmarkIngest/PostgreSQL")[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ingestRows(path); err == nil {
		t.Error("no PostgreSQL lines, no error")
	}
}
