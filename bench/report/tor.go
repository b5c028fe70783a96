package main

import (
	"fmt"
	"slices"
)

// torSample is one line of bench/torbench's output.
type torSample struct {
	Round    int     `json:"round"`
	Side     string  `json:"side"`
	Kind     string  `json:"kind"`
	Bytes    int64   `json:"bytes"`
	MBPerS   float64 `json:"mb_per_s"`
	CPUPerGB float64 `json:"cpu_s_per_gb"`
	Millis   float64 `json:"ms"`
}

// torRows makes the end-to-end rows from bench/torbench's JSON lines; no
// file (the Tor part was skipped) gives no rows.
func torRows(path string) ([]row, error) {
	all, err := readJSONLines[torSample](path)
	if all == nil || err != nil { // no file: the Tor part was skipped
		return nil, err
	}
	var rows []row
	for _, k := range []struct{ kind, label string }{{"single", "1 circuit"}, {"parallel", "4 circuits at once"}} {
		mb := func(s torSample) float64 { return s.MBPerS }
		cpu := func(s torSample) float64 { return s.CPUPerGB }
		hoster, nginx := pick(all, k.kind, "hoster"), pick(all, k.kind, "nginx")
		if len(hoster) == 0 || len(nginx) == 0 {
			return nil, fmt.Errorf("%s: no %s downloads of both sides", path, k.kind)
		}
		size := float64(hoster[0].Bytes) / 1e6
		figs := fmt.Sprintf("hoster %.1f · nginx %.1f MB/s (%.0f MB each round)", medianOf(hoster, mb), medianOf(nginx, mb), size)
		m, lo, hi := perRound(hoster, nginx, mb)
		rows = append(rows, row{What: "Tor, " + k.label + ": MB/s hoster / tor→nginx", Figures: figs,
			Ratio: m, Lo: lo, Hi: hi, Target: 1, Higher: true})
		figs = fmt.Sprintf("hoster %.2f · nginx %.2f CPU s/GB (server + the service tor)", medianOf(hoster, cpu), medianOf(nginx, cpu))
		m, lo, hi = perRound(hoster, nginx, cpu)
		rows = append(rows, row{What: "Tor, " + k.label + ": CPU s/GB hoster / tor→nginx", Figures: figs,
			Ratio: m, Lo: lo, Hi: hi, Target: 1, Note: "see the notes below"})
	}
	hoster, nginx := pick(all, "ttfb", "hoster"), pick(all, "ttfb", "nginx")
	if len(hoster) == 0 || len(nginx) == 0 {
		return nil, fmt.Errorf("%s: no first-byte samples of both sides", path)
	}
	ms := func(s torSample) float64 { return s.Millis }
	h, n := medianOf(hoster, ms), medianOf(nginx, ms)
	_, lo, hi := perRound(hoster, nginx, ms)
	rows = append(rows, row{What: "Tor, first byte on a fresh circuit: hoster / tor→nginx",
		Figures: fmt.Sprintf("hoster %.0f · nginx %.0f ms (medians of %d and %d circuits)", h, n, len(hoster), len(nginx)),
		Ratio:   h / n, Lo: lo, Hi: hi, Target: 1.05})
	return rows, nil
}

// pick returns the samples of one kind and side.
func pick(all []torSample, kind, side string) []torSample {
	var out []torSample
	for _, s := range all {
		if s.Kind == kind && s.Side == side {
			out = append(out, s)
		}
	}
	return out
}

func medianOf(ss []torSample, f func(torSample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	return median(v)
}

// perRound is the median, least and greatest over rounds of the ratio of
// a's median to b's median within each round.
func perRound(a, b []torSample, f func(torSample) float64) (med, lo, hi float64) {
	rounds := map[int]bool{}
	for _, s := range a {
		rounds[s.Round] = true
	}
	var v []float64
	for r := range rounds {
		in := func(ss []torSample) []torSample {
			return slices.DeleteFunc(slices.Clone(ss), func(s torSample) bool { return s.Round != r })
		}
		ra, rb := in(a), in(b)
		if len(ra) > 0 && len(rb) > 0 {
			v = append(v, medianOf(ra, f)/medianOf(rb, f))
		}
	}
	if len(v) == 0 {
		return 0, 0, 0
	}
	return median(v), slices.Min(v), slices.Max(v)
}
