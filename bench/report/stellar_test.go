package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStellarRows(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sacverify.txt", "BenchmarkVerifySACVsEd25519 \t 100\t 1 ns/op\t 25000 ed25519-cpu-ns/op\t 0.95 ratio\t 26300 verify-cpu-ns/op\n")
	write("stellar.txt", "BenchmarkRPCSettleLatency-2 \t 6\t 1 ns/op\t -2.8 ms-over-close\n"+
		"BenchmarkWatcherMatch-2 \t 38\t 1 ns/op\t 12000 events/s\n"+
		"BenchmarkLedgerCreditLatency-2 \t 6\t 1 ns/op\t 60 ms-over-close\n")
	rows, err := stellarRows(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ratio float64
		pass  bool
	}{{0.95, true}, {0, true}, {1.2, false}, {1.2, true}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		if d := rows[i].Ratio - w.ratio; d > 1e-9 || d < -1e-9 || rows[i].pass() != w.pass {
			t.Errorf("row %q: ratio %v pass %v, want %v %v", rows[i].What, rows[i].Ratio, rows[i].pass(), w.ratio, w.pass)
		}
	}
	os.Remove(filepath.Join(dir, "stellar.txt"))
	if _, err := stellarRows(dir); err == nil {
		t.Error("rows without stellar.txt")
	}
}
