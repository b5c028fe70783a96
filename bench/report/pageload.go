package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// errNoChart is returned for a BENCHMARKS.md with no page-load section and
// no results chart to put one after.
var errNoChart = errors.New("no page-load section and no results chart line")

// pageSample is one page load of bench/torbench's output.
type pageSample struct {
	Round       int            `json:"round"`
	Side        string         `json:"side"`
	Kind        string         `json:"kind"` // page-fresh, page-warm, page-repeat
	Page        string         `json:"page"`
	Millis      float64        `json:"ms"`
	FirstByteMs float64        `json:"first_byte_ms"`
	Bytes       float64        `json:"bytes"`
	Requests    int            `json:"requests"`
	Encodings   map[string]int `json:"encodings"`
}

// Markers around the page-load section of docs/BENCHMARKS.md, so that
// `benchreport -pages` can rewrite it alone.
const (
	pagesBegin = "<!-- page loads: written by bench/report from bench/torbench's page-* lines -->\n"
	pagesEnd   = "<!-- end of page loads -->\n"
	pagesAfter = "![ratios against targets](benchmarks.svg)\n"
)

// pageKinds are the three loads of a visit, with their labels.
var pageKinds = []struct{ kind, label string }{
	{"page-fresh", "fresh circuit"}, {"page-warm", "warm circuit, cache off"}, {"page-repeat", "repeat visit, cache on"},
}

// readPages reads the page-load lines of a torbench output; no file or
// no such lines give none.
func readPages(path string) ([]pageSample, error) {
	lines, err := readLines(path)
	return slices.DeleteFunc(lines, func(s pageSample) bool { return !strings.HasPrefix(s.Kind, "page-") }), err
}

// readLines reads every line of a torbench output as a pageSample (the
// first-byte lines fit it too); no file gives none.
func readLines(path string) ([]pageSample, error) { return readJSONLines[pageSample](path) }

// readJSONLines reads a file of JSON lines, one T each. No file (that part
// of the run was skipped) gives nil; an empty file an empty, non-nil slice.
func readJSONLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := []T{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// pageRatio is the median and range, over every (page, round), of the
// hoster's figure over nginx's.
func pageRatio(all []pageSample, kind string, f func(pageSample) float64) (med, lo, hi, h, n float64) {
	type key struct {
		page  string
		round int
	}
	by := map[key][2]float64{}
	var hs, ns []float64
	for _, s := range all {
		if s.Kind != kind || s.Side != "hoster" && s.Side != "nginx" { // the controls are shown apart
			continue
		}
		k, v := key{s.Page, s.Round}, by[key{s.Page, s.Round}]
		if s.Side == "hoster" {
			v[0] = f(s)
			hs = append(hs, f(s))
		} else {
			v[1] = f(s)
			ns = append(ns, f(s))
		}
		by[k] = v
	}
	var r []float64
	for _, v := range by {
		if v[0] > 0 && v[1] > 0 {
			r = append(r, v[0]/v[1])
		}
	}
	if len(r) == 0 {
		return 0, 0, 0, 0, 0
	}
	return median(r), slices.Min(r), slices.Max(r), median(hs), median(ns)
}

// pageRows are the page-load rows with the targets.
func pageRows(all []pageSample) []row {
	var rows []row
	ms := func(s pageSample) float64 { return s.Millis }
	for _, k := range pageKinds {
		m, lo, hi, h, n := pageRatio(all, k.kind, ms)
		if m == 0 {
			continue
		}
		target := 0.8
		if k.kind == "page-repeat" {
			target = 1 // no target in the issue: not slower
		}
		rows = append(rows, row{What: "Page load (" + k.label + "): hoster / tor→nginx", Ratio: m, Lo: lo, Hi: hi, Target: target,
			Figures: fmt.Sprintf("hoster %.0f · nginx %.0f ms to the load event", h, n), Note: "see the notes below"})
	}
	if m, lo, hi, h, n := pageRatio(all, "page-fresh", func(s pageSample) float64 { return s.Bytes }); m > 0 {
		rows = append(rows, row{What: "Bytes on the wire per page: hoster / nginx gzip", Ratio: m, Lo: lo, Hi: hi, Target: 0.85,
			Figures: fmt.Sprintf("hoster %.0f · nginx %.0f KB (fresh load, headers included)", h/1e3, n/1e3)})
	}
	if m, lo, hi, h, n := pageRatio(all, "page-fresh", func(s pageSample) float64 { return s.FirstByteMs }); m > 0 {
		rows = append(rows, row{What: "Page's first byte, fresh circuit: hoster / tor→nginx", Ratio: m, Lo: lo, Hi: hi, Target: 1.02,
			Figures: fmt.Sprintf("hoster %.0f · nginx %.0f ms (Navigation Timing responseStart)", h, n), Note: "see the notes below"})
	}
	return rows
}

// pageTable is the per-page detail: medians of each side.
func pageTable(all []pageSample) string {
	var b strings.Builder
	b.WriteString("| page | load | hoster ms | nginx ms | hoster KB | nginx KB | requests | hoster's encodings |\n|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, page := range pagesOf(all) {
		for _, k := range pageKinds {
			h, n := pick2(all, page, k.kind, "hoster"), pick2(all, page, k.kind, "nginx")
			if len(h) == 0 || len(n) == 0 {
				continue
			}
			med := func(ss []pageSample, f func(pageSample) float64) float64 {
				v := make([]float64, len(ss))
				for i, s := range ss {
					v[i] = f(s)
				}
				return median(v)
			}
			ms := func(s pageSample) float64 { return s.Millis }
			kb := func(s pageSample) float64 { return s.Bytes / 1e3 }
			req := func(s pageSample) float64 { return float64(s.Requests) }
			fmt.Fprintf(&b, "| `%s` | %s | %.0f | %.0f | %.1f | %.1f | %.0f · %.0f | %s |\n", page, k.label, med(h, ms), med(n, ms),
				med(h, kb), med(n, kb), med(h, req), med(n, req), encodings(h[len(h)-1].Encodings))
		}
	}
	return b.String()
}

func encodings(m map[string]int) string {
	if len(m) == 0 {
		return "none fetched"
	}
	var parts []string
	for e, n := range m {
		if e == "" {
			e = "identity"
		}
		parts = append(parts, fmt.Sprintf("%s %d", e, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func pagesOf(all []pageSample) []string {
	var pages []string
	for _, s := range all {
		if !slices.Contains(pages, s.Page) {
			pages = append(pages, s.Page)
		}
	}
	return pages
}

func pick2(all []pageSample, page, kind, side string) []pageSample {
	var out []pageSample
	for _, s := range all {
		if s.Page == page && s.Kind == kind && s.Side == side {
			out = append(out, s)
		}
	}
	return out
}

// pageSection is the Markdown section between the markers.
func pageSection(all, torAll []pageSample, svgName, load string) string {
	rounds := 0
	for _, s := range all {
		rounds = max(rounds, s.Round)
	}
	var b strings.Builder
	b.WriteString(pagesBegin)
	b.WriteString("## Page loads through Tor\n\n")
	b.WriteString(strings.ReplaceAll(pageMethod, "'", "`"))
	fmt.Fprintf(&b, "\n%d rounds.", rounds)
	if load != "" {
		fmt.Fprintf(&b, " 1-minute load average: %s.", load)
	}
	b.WriteString("\n\n")
	b.WriteString(table(pageRows(all)))
	b.WriteString("\n")
	b.WriteString(pageTable(all))
	if c := controlTable(torAll); c != "" {
		b.WriteString("\nThe controls: the same nginx published as two more onion services of the same tor, " +
			"`nginx-b` (the same port) and `nginx-unix` (a unix socket, as the hoster listens). They serve alike, so " +
			"their spread is what being another onion service costs by chance (its introduction points and " +
			"circuits); medians over all pages and rounds:\n\n")
		b.WriteString(c)
	}
	fmt.Fprintf(&b, "\n![page load times, hoster against tor → nginx](%s)\n\n", svgName)
	b.WriteString(pagesEnd)
	return b.String()
}

// withPages puts the page-load section into a BENCHMARKS.md: in place of
// the one there, or after the results' chart.
func withPages(md, section string) (string, error) {
	if i, j := strings.Index(md, pagesBegin), strings.Index(md, pagesEnd); i >= 0 && j > i {
		return md[:i] + section + md[j+len(pagesEnd):], nil
	}
	i := strings.Index(md, pagesAfter)
	if i < 0 {
		return "", fmt.Errorf("%w: %q", errNoChart, strings.TrimSpace(pagesAfter))
	}
	i += len(pagesAfter)
	return md[:i] + "\n" + section + md[i:], nil
}

const pageMethod = `Headless Chromium (Debian’s) loads the example site’s pages ('www-example': about
290 KB for the home page, HTML, one stylesheet, the Literata web font in three faces, four
photographs, Alpine.js and the attention beacon) from the two onion services of the Tor
part, which serve the same copy of the folder: **tor → nginx** with the configuration
people use ('include mime.types', 'sendfile on', 'gzip on', 'gzip_comp_level 5' and the
text types of the h5bp server configs) and **tor → hoster** set up as 'hoster serve
--root' (privacy, meter, Cache-Control by fingerprint, an image's WebP copy for an
'Accept' that names it, file_server on the 'torplus_precompressed' file system; Chromium's
own image 'Accept' names WebP and AVIF, as Tor Browser's does). Chromium cannot give a SOCKS user name, so its
connections go through a loopback SOCKS5 forwarder ('bench/torbench/socksfwd.go') that
logs in to tor as the visitor of the moment: each visitor is a new browser context (a
fresh profile: no cache, no cookies, no connections) on a circuit of its own. Chromium
sends only 'gzip, deflate' over plain http, so every request carries Tor Browser’s
'Accept-Encoding: gzip, deflate, br, zstd' (it treats an onion as a secure context); both
sides get the same header. Each visit loads the page three times: **fresh** (the circuit
to the service is built during the load, as on a first visit), **warm** (again on the same
circuit and connections, the browser cache disabled through CDP, so every byte crosses
again) and **repeat** (again with the cache on: what the cache headers save). Time is
Navigation Timing’s 'loadEventStart'; bytes are the sum of CDP 'Network.loadingFinished'
'encodedDataLength' of the page’s GETs (headers included; the beacon’s POST after the load
is left out). Round r visits every page on the two sides, nginx first in odd rounds and
the hoster first in even ones; ratios are per (page, round), their median and range
reported.
`

// withPageLoads adds the page-load section made from a torbench output to
// md and writes its chart; an output without page loads leaves md as it
// is.
func withPageLoads(md, torOut, svgPath, load string) (string, error) {
	torAll, err := readLines(torOut)
	if err != nil {
		return md, err
	}
	var all []pageSample
	for _, s := range torAll {
		if strings.HasPrefix(s.Kind, "page-") {
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return md, nil
	}
	if err := os.WriteFile(svgPath, []byte(pageChart(all)), 0o644); err != nil {
		return "", err
	}
	return withPages(md, pageSection(all, torAll, filepath.Base(svgPath), load))
}

// writePages rewrites the page-load section of the Markdown file out, and
// the hand-written notes at its end from bench/notes.md (the section
// points to them); the rest is kept.
func writePages(torOut, out, svgPath, load string) error {
	md, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	all, err := readPages(torOut)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: no page loads", torOut)
	}
	s, err := withPageLoads(string(md), torOut, svgPath, load)
	if err != nil {
		return err
	}
	if notes, err := os.ReadFile("bench/notes.md"); err == nil {
		s = withNotes(s, string(notes))
	}
	return os.WriteFile(out, []byte(s), 0o644)
}

// withNotes replaces the notes at the end of md (from the first line of
// notes on) with notes.
func withNotes(md, notes string) string {
	first, _, _ := strings.Cut(notes, "\n")
	if i := strings.LastIndex(md, first+"\n"); first != "" && i >= 0 {
		return md[:i] + notes
	}
	return md
}

// controlTable is the medians of every service, the controls included,
// for the fresh-circuit first byte and the page loads; none without
// controls.
func controlTable(all []pageSample) string {
	var sides []string
	for _, s := range all {
		if !slices.Contains(sides, s.Side) {
			sides = append(sides, s.Side)
		}
	}
	if len(sides) <= 2 {
		return ""
	}
	slices.Sort(sides)
	var b strings.Builder
	b.WriteString("| median | " + strings.Join(sides, " | ") + " |\n|---|" + strings.Repeat("---:|", len(sides)) + "\n")
	for _, k := range []struct {
		kind, label string
		f           func(pageSample) float64
	}{
		{"ttfb", "first byte of 1 KiB, fresh circuit (ms)", func(s pageSample) float64 { return s.Millis }},
		{"page-fresh", "page's first byte, fresh circuit (ms)", func(s pageSample) float64 { return s.FirstByteMs }},
		{"page-fresh", "page load, fresh circuit (ms)", func(s pageSample) float64 { return s.Millis }},
		{"page-warm", "page load, warm circuit, cache off (ms)", func(s pageSample) float64 { return s.Millis }},
		{"page-repeat", "page load, repeat visit (ms)", func(s pageSample) float64 { return s.Millis }},
	} {
		if !slices.ContainsFunc(all, func(s pageSample) bool { return s.Kind == k.kind }) {
			continue // not measured in this run
		}
		b.WriteString("| " + k.label + " |")
		for _, side := range sides {
			var v []float64
			for _, s := range all {
				if s.Kind == k.kind && s.Side == side {
					v = append(v, k.f(s))
				}
			}
			if len(v) == 0 {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %.0f (%d) |", median(v), len(v))
		}
		b.WriteString("\n")
	}
	return b.String()
}
