package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Colours of the charts.
const (
	colourRequests = "#8a94a6"
	colourPayments = "#2e9e6a"
	colourFree     = "#b9a6e8"
	colourGrid     = "#e3e6ec"
	colourText     = "#3b4252"
)

// niceMax rounds a chart's top value up to 1, 2 or 5 times a power of ten.
func niceMax(v int64) int64 {
	if v <= 0 {
		return 1
	}
	p := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
		p *= 10
	}
}

// requestsChart draws payment requests and payments per day as paired bars.
func requestsChart(days []DayCount) template.HTML {
	const w, h, left, right, top, bottom = 720, 240, 40, 10, 16, 44
	var top64 int64
	for _, d := range days {
		top64 = max(top64, int64(d.Requests), int64(d.Payments))
	}
	ymax := niceMax(top64)
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="prtitle" xmlns="http://www.w3.org/2000/svg">`, w, h)
	b.WriteString(`<title id="prtitle">Payment requests and payments per day</title>`)
	ticks := int64(1) // grid lines at whole numbers
	for _, n := range []int64{5, 4, 2} {
		if ymax%n == 0 {
			ticks = n
			break
		}
	}
	for i := int64(0); i <= ticks; i++ {
		y := float64(top) + plotH*float64(i)/float64(ticks)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, left, w-right, y, y, colourGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="%s">%d</text>`,
			left-6, y+4, colourText, ymax*(ticks-i)/ticks)
	}
	slot := plotW / float64(max(len(days), 1))
	bar := slot * 0.38
	for i, d := range days {
		x := float64(left) + slot*float64(i) + slot*0.1
		for j, v := range []struct {
			n      int
			colour string
			what   string
		}{{d.Requests, colourRequests, "payment requests"}, {d.Payments, colourPayments, "payments"}} {
			bh := plotH * float64(v.n) / float64(ymax)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d %s</title></rect>`,
				x+bar*float64(j), float64(top)+plotH-bh, bar, bh, v.colour, d.Day, v.n, v.what)
		}
		if i%5 == 0 || i == len(days)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>`,
				x+bar, h-bottom+16, colourText, html.EscapeString(d.Day[5:]))
		}
	}
	legendY := h - 10
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="%s">payment requests</text>`,
		left, legendY-10, colourRequests, left+18, legendY, colourText)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="%s">payments</text>`,
		left+150, legendY-10, colourPayments, left+168, legendY, colourText)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// attentionChart draws each page's visible time as a horizontal bar: the
// part paying sessions read in their paid rounds (it moved money), then
// the free part (statistics).
func attentionChart(pages []PageAttention) template.HTML {
	const w, label, right, row = 720, 230, 90, 28
	if len(pages) == 0 {
		return template.HTML(`<p class="empty">No attention reports yet.</p>`)
	}
	var top int64
	for _, p := range pages {
		top = max(top, p.PaidMS+p.FreeMS)
	}
	h := row*len(pages) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="attention-chart" viewBox="0 0 %d %d" role="img" aria-labelledby="attitle" xmlns="http://www.w3.org/2000/svg">`, w, h)
	b.WriteString(`<title id="attitle">Visible time per page: paid and free</title>`)
	plotW := float64(w - label - right)
	for i, p := range pages {
		y := 4 + row*i
		x := float64(label)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="%s">%s</text>`,
			label-8, y+17, colourText, html.EscapeString(shorten(p.Path, 30)))
		for _, part := range []struct {
			ms           int64
			colour, what string
		}{{p.PaidMS, colourPayments, "paid"}, {p.FreeMS, colourFree, "free"}} {
			bw := 0.0
			if top > 0 {
				bw = plotW * float64(part.ms) / float64(top)
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s %s</title></rect>`,
				part.what, x, y+3, bw, row-8, part.colour, html.EscapeString(p.Path), Duration(part.ms), part.what)
			x += bw
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" fill="%s">%s</text>`,
			x+6, y+17, colourText, Duration(p.PaidMS+p.FreeMS))
	}
	ly := row*len(pages) + 20
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="%s">paid rounds (moves money)</text>`,
		label, ly-10, colourPayments, label+18, ly, colourText)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="%s">free rounds (statistics)</text>`,
		label+220, ly-10, colourFree, label+238, ly, colourText)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Duration writes milliseconds for people: "45s", "3m 20s", "2h 05m".
func Duration(ms int64) string {
	s := ms / 1000
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh %02dm", s/3600, s%3600/60)
	}
}
