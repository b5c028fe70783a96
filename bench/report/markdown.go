package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes the machine the run was on: cores, CPU model, memory.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d cores (nproc), %s, %s memory, %s/%s, %s", runtime.NumCPU(), model, mem,
		runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// table is the Markdown table of the rows.
func table(rows []row) string {
	var b strings.Builder
	b.WriteString("| measure | figures (medians) | ratio (median) | rounds' range | target | result |\n|---|---|---:|---:|---:|---|\n")
	for _, r := range rows {
		cmp, res := "≤", "pass"
		if r.Higher {
			cmp = "≥"
		}
		if !r.pass() {
			res = "**miss**"
			if r.Fails != "" {
				res += " (" + r.Fails + ")"
			} else if r.Note != "" {
				res += " (" + r.Note + ")"
			}
		}
		spread := "–"
		if r.Hi > 0 {
			spread = fmt.Sprintf("%.2f – %.2f", r.Lo, r.Hi)
		}
		fmt.Fprintf(&b, "| %s | %s | %.3f | %s | %s %.2f | %s |\n", r.What, r.Figures, r.Ratio, spread, cmp, r.Target, res)
	}
	return b.String()
}

// runInfo describes the run, for the text.
type runInfo struct {
	machine           string
	conns             int
	duration          string
	rounds, torRounds int
	load              string
}

// markdown is the whole docs/BENCHMARKS.md: how to run, the method, the
// results, and the hand-written notes of bench/notes.md.
func markdown(rows []row, run runInfo) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(method, "'", "`"))
	fmt.Fprintf(&b, "## Results\n\nRun of %s on %s.\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), run.machine)
	fmt.Fprintf(&b, "HTTP: %d rounds × %s per server and size, %d connections. ", run.rounds, run.duration, run.conns)
	if run.torRounds > 0 {
		fmt.Fprintf(&b, "Tor: %d rounds.", run.torRounds)
	} else {
		b.WriteString("Tor: skipped (`TOR_ROUNDS=0`), so its rows are missing.")
	}
	if run.load != "" {
		fmt.Fprintf(&b, "\n1-minute load average (the run itself adds about 2 while it measures; the machine is shared): %s.", run.load)
	}
	b.WriteString("\n\n")
	b.WriteString(table(rows))
	b.WriteString("\nRatios below 1 for \"≤\" rows and above 1 for \"≥\" rows are good; the chart shows each ratio against its target line.\n\n![ratios against targets](benchmarks.svg)\n\n")
	if notes, err := os.ReadFile("bench/notes.md"); err == nil {
		b.WriteString(string(notes))
	}
	return b.String()
}
