package tally

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordReadTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tally.jsonl")
	t.Setenv(EnvFile, path)
	Record(t, Row{Test: "crash", Faults: 3, Crashes: 3, Records: 1000})
	Record(t, Row{Inputs: 10000, Records: 10000, Duplicated: 1, Excess: 7})

	rows, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Test != "crash" || rows[1].Test != t.Name() || rows[1].Duplicated != 1 {
		t.Fatalf("rows = %+v", rows)
	}
	var b strings.Builder
	if err := Table(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "| **total** | 3 | 3 | 10000 | 11000 | 0 | 1 | 7 |"
	if !strings.Contains(b.String(), want) {
		t.Fatalf("table lacks %q:\n%s", want, b.String())
	}
}

func TestReadMalformed(t *testing.T) {
	for name, line := range map[string]string{
		"not json":      "crash 3 3",
		"no test name":  `{"faults":1}`,
		"unknown field": `{"test":"x","lost_ok":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tally.jsonl")
			if err := os.WriteFile(path, []byte(line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(path); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Read(%q) = %v, want ErrMalformed", line, err)
			}
		})
	}
}
