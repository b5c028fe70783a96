package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"

	"github.com/torplus/torplus/caddy-module/revenue"
)

// palette colours a chart's series; the rest share the last colour.
var palette = []string{"#7b4fd6", "#2e9e6a", "#d68a1f", "#2f7fc1", "#c0417a", "#8a94a6"}

// incomeChart draws income per day as stacked bars, one colour per key
// (page or payee), the biggest earners first; keys beyond the palette are
// drawn together as "others".
func incomeChart(id, title string, days []DayCount, rows []revenue.DayIncome) template.HTML {
	if len(rows) == 0 {
		return template.HTML(`<p class="empty">No payments in these 30 days.</p>`)
	}
	const w, h, left, right, top, bottom = 720, 260, 70, 10, 16, 64
	totals := map[string]revenue.Amount{}
	for _, r := range rows {
		totals[r.Key] += r.Amount
	}
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if totals[keys[i]] != totals[keys[j]] {
			return totals[keys[i]] > totals[keys[j]]
		}
		return keys[i] < keys[j]
	})
	series := map[string]int{}
	for i, k := range keys {
		series[k] = min(i, len(palette)-1)
	}
	dayIndex := map[string]int{}
	for i, d := range days {
		dayIndex[d.Day] = i
	}
	stack := make([][]revenue.Amount, len(days))
	var peak revenue.Amount
	for i := range stack {
		stack[i] = make([]revenue.Amount, len(palette))
	}
	for _, r := range rows {
		if i, ok := dayIndex[r.Day]; ok {
			stack[i][series[r.Key]] += r.Amount
		}
	}
	for _, s := range stack {
		var sum revenue.Amount
		for _, a := range s {
			sum += a
		}
		peak = max(peak, sum)
	}
	ymax := niceMax(int64(peak))
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" xmlns="http://www.w3.org/2000/svg">`, id, w, h, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, html.EscapeString(title))
	for i := 0; i <= 2; i++ {
		y := float64(top) + plotH*float64(i)/2
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, left, w-right, y, y, colourGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="%s">%s</text>`,
			left-6, y+4, colourText, revenue.Amount(ymax*int64(2-i)/2))
	}
	slot := plotW / float64(max(len(days), 1))
	for i, s := range stack {
		x, y := float64(left)+slot*float64(i)+slot*0.15, float64(top)+plotH
		for j, a := range s {
			if a == 0 {
				continue
			}
			bh := plotH * float64(a) / float64(ymax)
			y -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s %s</title></rect>`,
				x, y, slot*0.7, bh, palette[j], days[i].Day, html.EscapeString(seriesName(keys, j)), a)
		}
		if i%5 == 0 || i == len(days)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>`,
				x+slot*0.35, h-bottom+16, colourText, html.EscapeString(days[i].Day[5:]))
		}
	}
	for j := 0; j < min(len(keys), len(palette)); j++ {
		x := left + 110*j
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="11" fill="%s">%s</text>`,
			x, h-26, palette[j], x+16, h-16, colourText, html.EscapeString(shorten(seriesName(keys, j), 14)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// seriesName is the legend of series j: its key, or "others" for the
// last colour when more keys share it.
func seriesName(keys []string, j int) string {
	if j == len(palette)-1 && len(keys) > len(palette) {
		return "others"
	}
	return keys[j]
}
