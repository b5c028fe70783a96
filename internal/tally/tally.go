// Package tally records what one reliability test did — faults injected,
// crashes survived, inputs tried, records checked, records lost and
// duplicated — as one JSON line per test, so that one command can run the
// whole suite and print a single table of it (see Table).
//
// A test calls Record at its end. The row is always written to the test log;
// when the environment variable named by EnvFile is set, it is also appended
// to that file, which the suite's runner reads back with Read.
package tally

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// EnvFile names the environment variable holding the path rows are appended to.
const EnvFile = "TORPLUS_TALLY"

// ErrMalformed is returned by Read for a line that is not a Row.
var ErrMalformed = errors.New("tally: malformed row")

// Row is what one test did.
type Row struct {
	Test       string `json:"test"`       // the test's name
	Faults     int64  `json:"faults"`     // faults injected (kills, outages, full disks …)
	Crashes    int64  `json:"crashes"`    // crashes (kill -9) survived
	Inputs     int64  `json:"inputs"`     // hostile or generated inputs tried
	Records    int64  `json:"records"`    // records (payments, reports, credits) checked afterwards
	Lost       int64  `json:"lost"`       // acknowledged records missing afterwards
	Duplicated int64  `json:"duplicated"` // records stored or credited more than once
	// Excess counts what got past a limit: bytes served beyond what a
	// client was allowed (paid for, or its own free round). Must be 0.
	Excess int64 `json:"excess,omitempty"`
}

// Record logs r in t's log and, when $TORPLUS_TALLY names a file, appends r
// to it as one JSON line. A failure to append fails the test.
func Record(t testing.TB, r Row) {
	t.Helper()
	if r.Test == "" {
		r.Test = t.Name()
	}
	line, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("tally: %v", err)
	}
	t.Logf("tally: %s", line)
	path := os.Getenv(EnvFile)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("tally: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatalf("tally: %v", err)
	}
}

// Read returns the rows in the file at path, in order.
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Row
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || r.Test == "" {
			return nil, fmt.Errorf("%w: %s line %d", ErrMalformed, path, n)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// Table writes rows as a Markdown table followed by a line of totals.
func Table(w io.Writer, rows []Row) error {
	var sum Row
	sum.Test = "**total**"
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| test | faults injected | crashes survived | inputs tried | records checked | lost | duplicated | beyond a limit |")
	fmt.Fprintln(bw, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range append(rows, Row{}) {
		if r.Test == "" {
			r = sum
		} else {
			sum.Faults += r.Faults
			sum.Crashes += r.Crashes
			sum.Inputs += r.Inputs
			sum.Records += r.Records
			sum.Lost += r.Lost
			sum.Duplicated += r.Duplicated
			sum.Excess += r.Excess
		}
		fmt.Fprintf(bw, "| %s | %d | %d | %d | %d | %d | %d | %d |\n",
			r.Test, r.Faults, r.Crashes, r.Inputs, r.Records, r.Lost, r.Duplicated, r.Excess)
	}
	return bw.Flush()
}
