// Package fuzz holds the fuzz script (fuzz/run) and the helpers shared by
// fuzz targets; this test checks the script itself.
package fuzz

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tally"
)

// TestRunScript runs fuzz/run on one cheap target for a few inputs: it
// finds the target, exits 0, appends one tally row for it and writes the
// Markdown table (-table) with its row; asked for a target that does not
// exist, it fails.
func TestRunScript(t *testing.T) {
	// Bounded, with room for a cold build cache on a loaded machine (the
	// fuzzing build of one package took over 5 min at a load average of 20).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	rows := filepath.Join(t.TempDir(), "tally.jsonl")
	table := filepath.Join(t.TempDir(), "table.md")
	cmd := exec.CommandContext(ctx, "./run", "-time", "50x", "-parallel", "1", "-only", `^payreq\.FuzzParseSEP7$`, "-table", table)
	cmd.Env = append(cmd.Environ(), tally.EnvFile+"="+rows)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fuzz/run: %v\n%s", err, out)
	}
	got, err := tally.Read(rows)
	if err != nil || len(got) != 1 || got[0].Test != "payreq.FuzzParseSEP7" || got[0].Inputs < 1 {
		t.Fatalf("tally rows %+v, %v; output:\n%s", got, err, out)
	}
	if !strings.Contains(string(out), "ok   payreq.FuzzParseSEP7") {
		t.Fatalf("no progress line for the target:\n%s", out)
	}
	md, err := os.ReadFile(table)
	if err != nil || !strings.Contains(string(md), "| `payreq.FuzzParseSEP7` | ") || !strings.Contains(string(md), "| ok |") ||
		!strings.Contains(string(md), "1 targets, 50x each") {
		t.Fatalf("-table wrote %q, %v", md, err)
	}

	out, err = exec.CommandContext(ctx, "./run", "-time", "1x", "-only", "^no-such-target$").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no fuzz target matches") {
		t.Fatalf("fuzz/run with no matching target: %v\n%s", err, out)
	}
}
