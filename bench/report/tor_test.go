package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTorRows checks the end-to-end rows made from torbench's lines: the
// per-round ratios (hoster over nginx), their range, the pooled first-byte
// medians, and that a missing file gives no rows.
func TestTorRows(t *testing.T) {
	lines := []string{
		`{"round":1,"side":"nginx","kind":"single","bytes":50000000,"mb_per_s":10,"cpu_s_per_gb":4}`,
		`{"round":1,"side":"hoster","kind":"single","bytes":50000000,"mb_per_s":11,"cpu_s_per_gb":3}`,
		`{"round":2,"side":"hoster","kind":"single","bytes":50000000,"mb_per_s":9,"cpu_s_per_gb":4}`,
		`{"round":2,"side":"nginx","kind":"single","bytes":50000000,"mb_per_s":10,"cpu_s_per_gb":4}`,
		`{"round":1,"side":"nginx","kind":"parallel","bytes":200000000,"mb_per_s":20,"cpu_s_per_gb":4}`,
		`{"round":1,"side":"hoster","kind":"parallel","bytes":200000000,"mb_per_s":30,"cpu_s_per_gb":2}`,
		`{"round":1,"side":"nginx","kind":"ttfb","ms":100}`,
		`{"round":1,"side":"hoster","kind":"ttfb","ms":110}`,
		`{"round":1,"side":"nginx","kind":"ttfb","ms":300}`,
		`{"round":1,"side":"hoster","kind":"ttfb","ms":90}`,
	}
	path := filepath.Join(t.TempDir(), "tor.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := torRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		prefix        string
		ratio, lo, hi float64
		pass          bool
	}{
		{"Tor, 1 circuit: MB/s", 1.0, 0.9, 1.1, true},
		{"Tor, 1 circuit: CPU", 0.875, 0.75, 1.0, true},
		{"Tor, 4 circuits at once: MB/s", 1.5, 1.5, 1.5, true},
		{"Tor, 4 circuits at once: CPU", 0.5, 0.5, 0.5, true},
		{"Tor, first byte", 100.0 / 200, 0.5, 0.5, true},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
		if !strings.HasPrefix(r.What, w.prefix) || !near(r.Ratio, w.ratio) || !near(r.Lo, w.lo) || !near(r.Hi, w.hi) || r.pass() != w.pass {
			t.Errorf("row %d: %q ratio %v (%v–%v) pass %v; want %q %v (%v–%v) %v", i, r.What, r.Ratio, r.Lo, r.Hi, r.pass(), w.prefix, w.ratio, w.lo, w.hi, w.pass)
		}
	}
	if rows, err := torRows(filepath.Join(t.TempDir(), "none.jsonl")); err != nil || rows != nil {
		t.Fatalf("missing file: %v, %v", rows, err)
	}
}
