package main

import (
	"fmt"
	"html"
	"strings"
)

// chart draws one horizontal bar per row: its ratio on a common scale, a
// tick at its target, green when the target is met and red when not.
func chart(rows []row) string {
	const (
		left, barW, rowH, top = 420, 480, 30, 40
		width                 = left + barW + 80
	)
	scale := 1.5
	for _, r := range rows {
		scale = max(scale, r.Ratio*1.05, r.Target*1.05, r.Hi*1.05)
	}
	x := func(v float64) float64 { return left + v/scale*barW }
	height := top + rowH*len(rows) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/><text x="10" y="22" font-size="15" font-weight="bold">TorPlus hoster: ratios against targets (tick = target, whisker = range over rounds; green met, red missed)</text>`+"\n")
	for v := 0.0; v <= scale; v += 0.5 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle" fill="#666">%.1f</text>`+"\n",
			x(v), top-5, x(v), top+rowH*len(rows), x(v), top+rowH*len(rows)+15, v)
	}
	for i, r := range rows {
		y := top + i*rowH
		color := "#2e7d32"
		if !r.pass() {
			color = "#c62828"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+18, html.EscapeString(r.What))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y+5, x(r.Ratio)-left, rowH-10, color)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2"/>`+"\n", x(r.Target), y+1, x(r.Target), y+rowH-1)
		if r.Hi > 0 { // whisker: the range of the per-round ratios
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-width="1.5"/>`+"\n", x(r.Lo), y+rowH/2, x(r.Hi), y+rowH/2)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.3f</text>`+"\n", max(x(r.Ratio), x(r.Target), x(r.Hi))+5, y+18, r.Ratio)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
