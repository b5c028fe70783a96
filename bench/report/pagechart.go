package main

import (
	"fmt"
	"html"
	"strings"
)

// pageChart draws, for each page and kind of load, the median time to the
// load event of the hoster (purple) and of tor → nginx (grey).
func pageChart(all []pageSample) string {
	type bar struct {
		label string
		h, n  float64
	}
	var bars []bar
	for _, page := range pagesOf(all) {
		for _, k := range pageKinds {
			h, n := pick2(all, page, k.kind, "hoster"), pick2(all, page, k.kind, "nginx")
			if len(h) == 0 || len(n) == 0 {
				continue
			}
			med := func(ss []pageSample) float64 {
				v := make([]float64, len(ss))
				for i, s := range ss {
					v[i] = s.Millis
				}
				return median(v)
			}
			bars = append(bars, bar{page + " · " + k.label, med(h), med(n)})
		}
	}
	const (
		left, barW, rowH, top = 330, 520, 34, 40
		width                 = left + barW + 90
	)
	scale := 100.0
	for _, b := range bars {
		scale = max(scale, b.h*1.05, b.n*1.05)
	}
	x := func(v float64) float64 { return left + v/scale*barW }
	height := top + rowH*len(bars) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/><text x="10" y="22" font-size="15" font-weight="bold">Page loads through Tor: ms to the load event, medians (purple hoster, grey tor → nginx)</text>`+"\n")
	step := 250.0
	for scale/step > 8 {
		step *= 2
	}
	for v := 0.0; v <= scale; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle" fill="#666">%.0f</text>`+"\n",
			x(v), top-5, x(v), top+rowH*len(bars), x(v), top+rowH*len(bars)+15, v)
	}
	for i, r := range bars {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+20, html.EscapeString(r.label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="#7b3f8c"/><text x="%.1f" y="%d">%.0f</text>`+"\n", left, y+4, x(r.h)-left, x(r.h)+4, y+14, r.h)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="#9e9e9e"/><text x="%.1f" y="%d">%.0f</text>`+"\n", left, y+17, x(r.n)-left, x(r.n)+4, y+27, r.n)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
