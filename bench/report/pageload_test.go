package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageRows checks the page-load rows made from torbench's page-*
// lines among its other lines: ratios per (page, round), their range, the
// pooled medians, and the bytes row.
func TestPageRows(t *testing.T) {
	lines := []string{
		`{"round":1,"side":"nginx","kind":"ttfb","ms":100}`,
		`{"round":1,"side":"nginx","kind":"page-fresh","page":"/","ms":1000,"bytes":200000,"first_byte_ms":200,"requests":12,"encodings":{"gzip":5,"":7}}`,
		`{"round":1,"side":"hoster","kind":"page-fresh","page":"/","ms":700,"bytes":160000,"first_byte_ms":200,"requests":12,"encodings":{"br":5,"":7}}`,
		`{"round":1,"side":"nginx","kind":"page-fresh","page":"/a.html","ms":800,"bytes":100000,"first_byte_ms":100}`,
		`{"round":1,"side":"hoster","kind":"page-fresh","page":"/a.html","ms":800,"bytes":90000,"first_byte_ms":110}`,
		`{"round":1,"side":"nginx","kind":"page-warm","page":"/","ms":400}`,
		`{"round":1,"side":"hoster","kind":"page-warm","page":"/","ms":300}`,
	}
	path := filepath.Join(t.TempDir(), "tor.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	all, err := readPages(path)
	if err != nil || len(all) != 6 {
		t.Fatalf("readPages: %d samples, %v; want the 6 page loads", len(all), err)
	}
	want := []struct {
		prefix        string
		ratio, lo, hi float64
		pass          bool
	}{
		{"Page load (fresh circuit)", (0.7 + 1) / 2, 0.7, 1, false},
		{"Page load (warm circuit", 0.75, 0.75, 0.75, true},
		{"Bytes on the wire", (0.8 + 0.9) / 2, 0.8, 0.9, false},
		{"Page's first byte", 1.05, 1, 1.1, false},
	}
	rows := pageRows(all)
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
	if all, err := readPages(filepath.Join(t.TempDir(), "none.jsonl")); err != nil || all != nil {
		t.Fatalf("missing file: %v, %v", all, err)
	}
}

// TestWithPages: the section goes after the results' chart the first
// time and replaces itself after that, leaving the rest as it was; a file
// with neither is refused.
func TestWithPages(t *testing.T) {
	md := "# Benchmarks\n\n" + pagesAfter + "\n## Notes\n"
	one, err := withPages(md, pagesBegin+"one\n"+pagesEnd)
	if err != nil {
		t.Fatal(err)
	}
	two, err := withPages(one, pagesBegin+"two\n"+pagesEnd)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Benchmarks\n\n" + pagesAfter + "\n" + pagesBegin + "two\n" + pagesEnd + "\n## Notes\n"; two != want {
		t.Fatalf("got\n%s\nwant\n%s", two, want)
	}
	if _, err := withPages("# no chart\n", pagesBegin+pagesEnd); !errors.Is(err, errNoChart) {
		t.Fatal("a file without the chart line was accepted")
	}
}
