// Command benchreport turns the raw results of one bench/run (a directory
// of loadgen JSON lines, go test -bench output and start-up timings) into
// docs/BENCHMARKS.md, a Markdown table of figures and ratios against their
// targets, and docs/benchmarks.svg, a bar chart of the ratios.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// run is one loadgen measurement (see bench/loadgen).
type run struct {
	ReqPerSec float64 `json:"req_per_s"`
	MBPerSec  float64 `json:"mb_per_s"`
	CPUPerGB  float64 `json:"cpu_s_per_gb"`
}

// row is one line of the table and one bar of the chart.
type row struct {
	What, Figures string
	Ratio         float64 // the measured ratio (or figure over target)
	Lo, Hi        float64 // range of the per-round ratios, when there are rounds
	Target        float64
	Higher        bool // higher is better (≥ target); else ≤ target
	Note          string
	Fails         string // why the row misses whatever its ratio, if it does
}

func (r row) pass() bool {
	if r.Fails != "" {
		return false
	}
	if r.Higher {
		return r.Ratio >= r.Target
	}
	return r.Ratio <= r.Target
}

func main() {
	dir := flag.String("dir", "", "results directory of bench/run")
	out := flag.String("out", "docs/BENCHMARKS.md", "Markdown file to write")
	svg := flag.String("svg", "docs/benchmarks.svg", "SVG chart to write")
	conns := flag.Int("conns", 8, "connections used (for the text)")
	duration := flag.String("duration", "", "duration of one measurement (for the text)")
	rounds := flag.Int("rounds", 0, "rounds (for the text)")
	torRounds := flag.Int("tor-rounds", 0, "rounds of the Tor part, 0 if skipped (for the text)")
	load := flag.String("load", "", "load averages during the run (for the text)")
	pages := flag.String("pages", "", "rewrite only the page-load section of -out from this torbench output (the rest of -out is kept)")
	pagesSVG := flag.String("pages-svg", "docs/pageload.svg", "page-load chart to write")
	flag.Parse()
	if *pages != "" {
		if err := writePages(*pages, *out, *pagesSVG, *load); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		return
	}
	rows, err := build(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	md := markdown(rows, runInfo{machine: machine(), conns: *conns, duration: *duration,
		rounds: *rounds, torRounds: *torRounds, load: *load})
	if md, err = withPageLoads(md, filepath.Join(*dir, "tor.jsonl"), *pagesSVG, *load); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*svg, []byte(chart(rows)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Print(table(rows))
}

// build reads the results and makes the rows.
func build(dir string) ([]row, error) {
	load := func(name string) ([]run, error) {
		f, err := os.Open(filepath.Join(dir, name+".jsonl"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var runs []run
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r run
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			runs = append(runs, r)
		}
		if len(runs) == 0 {
			return nil, fmt.Errorf("%s: no measurements", name)
		}
		return runs, sc.Err()
	}
	var rows []row
	for _, s := range []struct {
		size, label, unit string
		pick              func(run) float64
		vsPlain           float64
	}{
		{"4k", "4 KiB", "req/s", func(r run) float64 { return r.ReqPerSec }, 0.97},
		{"1m", "1 MiB", "MB/s", func(r run) float64 { return r.MBPerSec }, 0.99},
	} {
		plain, err := load("plain-" + s.size)
		if err != nil {
			return nil, err
		}
		meter, err := load("meter-" + s.size)
		if err != nil {
			return nil, err
		}
		seed, err := load("seed-" + s.size)
		if err != nil {
			return nil, err
		}
		med := func(runs []run, f func(run) float64) float64 {
			v := make([]float64, len(runs))
			for i, r := range runs {
				v[i] = f(r)
			}
			return median(v)
		}
		// Ratios are taken per round (the two sides measured back to back)
		// and the median of those ratios is reported.
		ratio := func(a, b []run, f func(run) float64) (float64, float64, float64) {
			v := make([]float64, min(len(a), len(b)))
			for i := range v {
				v[i] = f(a[i]) / f(b[i])
			}
			return median(v), slices.Min(v), slices.Max(v)
		}
		add := func(r row, m, lo, hi float64) {
			r.Ratio, r.Lo, r.Hi = m, lo, hi
			rows = append(rows, r)
		}
		cpu := func(r run) float64 { return r.CPUPerGB }
		figs := fmt.Sprintf("metered %.0f · plain %.0f · seed %.0f %s", med(meter, s.pick), med(plain, s.pick), med(seed, s.pick), s.unit)
		cpuFigs := fmt.Sprintf("metered %.2f · plain %.2f · seed %.2f CPU s/GB", med(meter, cpu), med(plain, cpu), med(seed, cpu))
		m, lo, hi := ratio(meter, plain, s.pick)
		add(row{What: s.label + " " + s.unit + ": metered / plain Caddy", Figures: figs, Target: s.vsPlain, Higher: true}, m, lo, hi)
		m, lo, hi = ratio(meter, seed, s.pick)
		add(row{What: s.label + " " + s.unit + ": metered / seed stack", Figures: figs, Target: 1, Higher: true}, m, lo, hi)
		m, lo, hi = ratio(meter, plain, cpu)
		add(row{What: s.label + " CPU s/GB: metered / plain Caddy", Figures: cpuFigs, Target: 1 / s.vsPlain}, m, lo, hi)
		m, lo, hi = ratio(meter, seed, cpu)
		add(row{What: s.label + " CPU s/GB: metered / seed stack", Figures: cpuFigs, Target: 1, Note: "see the profile below"}, m, lo, hi)
	}
	tor, err := torRows(filepath.Join(dir, "tor.jsonl"))
	if err != nil {
		return nil, err
	}
	rows = append(rows, tor...)
	verify, err := benchMetric(filepath.Join(dir, "verify.txt"), "ratio")
	if err != nil {
		return nil, err
	}
	vcpu, _ := benchMetric(filepath.Join(dir, "verify.txt"), "verify-cpu-ns/op")
	ecpu, _ := benchMetric(filepath.Join(dir, "verify.txt"), "ed25519-cpu-ns/op")
	rows = append(rows, row{What: "payment verification / bare ed25519 (rate, one core)",
		Figures: fmt.Sprintf("verify %.0f ns · ed25519 %.0f ns CPU per call", vcpu, ecpu), Ratio: verify, Target: 0.9, Higher: true})
	idle, err := benchMax(filepath.Join(dir, "idle.txt"), "B/session") // worst of 10k, 100k, 1M
	if err != nil {
		return nil, err
	}
	var each []string
	for _, n := range []string{"10000", "100000", "1000000"} {
		if v, err := benchValuesOf(filepath.Join(dir, "idle.txt"), "BenchmarkIdleSessionMemory/sessions="+n+"-", "B/session"); err == nil {
			each = append(each, fmt.Sprintf("%.0f B at %s", slices.Max(v), n))
		}
	}
	rows = append(rows, row{What: "idle session memory / 256 B (worst of 10k, 100k, 1M sessions)",
		Figures: strings.Join(each, " · "), Ratio: idle / 256, Target: 1})
	ingest, err := ingestRows(filepath.Join(dir, "ingest.txt"))
	if err != nil {
		return nil, err
	}
	rows = append(rows, ingest...)
	ms, err := numbers(filepath.Join(dir, "address.txt"))
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{What: "start → onion address printed / 1 s",
		Figures: fmt.Sprintf("median %.0f ms of %d starts (%s ms)", median(ms), len(ms), join(ms)), Ratio: median(ms) / 1000, Target: 1})
	return rows, nil
}

// benchMetric returns the median of a metric over the benchmark lines of a
// go test -bench output.
// benchMetric is the median of the unit's figures in a go test -bench output.
func benchMetric(path, unit string) (float64, error) {
	v, err := benchValues(path, unit)
	if err != nil {
		return 0, err
	}
	return median(v), nil
}

// benchMax is the largest of the unit's figures (the worst case).
func benchMax(path, unit string) (float64, error) {
	v, err := benchValues(path, unit)
	if err != nil {
		return 0, err
	}
	return slices.Max(v), nil
}

func benchValues(path, unit string) ([]float64, error) {
	return benchValuesOf(path, "Benchmark", unit)
}

// benchValuesOf returns the unit's figures on the lines of benchmarks whose
// name starts with name.
func benchValuesOf(path, name, unit string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v []float64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], name) {
			continue
		}
		for i := 1; i < len(f); i++ {
			if f[i] == unit {
				x, err := strconv.ParseFloat(f[i-1], 64)
				if err == nil {
					v = append(v, x)
				}
			}
		}
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%s: no %q figure of %s", path, unit, name)
	}
	return v, nil
}

func numbers(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v []float64
	for _, f := range strings.Fields(string(b)) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		v = append(v, x)
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return v, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func join(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strings.Join(s, ", ")
}
