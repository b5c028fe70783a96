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
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []pageSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s pageSample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if strings.HasPrefix(s.Kind, "page-") {
			out = append(out, s)
		}
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
		if s.Kind != kind {
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
func pageSection(all []pageSample, svgName, load string) string {
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
--root' (privacy, meter, Cache-Control by fingerprint, file_server on the
'torplus_precompressed' file system). Chromium cannot give a SOCKS user name, so its
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
	all, err := readPages(torOut)
	if err != nil || len(all) == 0 {
		return md, err
	}
	if err := os.WriteFile(svgPath, []byte(pageChart(all)), 0o644); err != nil {
		return "", err
	}
	return withPages(md, pageSection(all, filepath.Base(svgPath), load))
}

// writePages rewrites the page-load section of the Markdown file out alone.
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
	return os.WriteFile(out, []byte(s), 0o644)
}
