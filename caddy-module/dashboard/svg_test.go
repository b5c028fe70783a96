package dashboard

import (
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/attention"
)

func TestNiceMax(t *testing.T) {
	for in, want := range map[int64]int64{0: 1, 1: 1, 2: 2, 3: 5, 6: 10, 11: 20, 21: 50, 51: 100, 999: 1000} {
		if got := niceMax(in); got != want {
			t.Errorf("niceMax(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[int64]string{0: "0s", 45_999: "45s", 200_000: "3m 20s", 7_500_000: "2h 05m"} {
		if got := Duration(in); got != want {
			t.Errorf("Duration(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestChartsEscapeAndScale(t *testing.T) {
	svg := string(attentionChart([]attention.PageTotal{{Path: "/<script>.html", VisibleMS: 100, Reports: 1},
		{Path: "/b.html", VisibleMS: 50, Reports: 1}}))
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") {
		t.Errorf("page path not escaped: %s", svg)
	}
	// The longest bar spans the plot (400 px); the other is half of it.
	if !strings.Contains(svg, `width="400.0"`) || !strings.Contains(svg, `width="200.0"`) {
		t.Errorf("bars not to scale: %s", svg)
	}
	days := []DayCount{{Day: "2026-11-01", Requests: 3, Payments: 1}, {Day: "2026-11-02"}}
	svg = string(requestsChart(days))
	for _, want := range []string{"2026-11-01: 3 payment requests", "2026-11-01: 1 payments", ">5</text>", ">0</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("requests chart lacks %q", want)
		}
	}
	if strings.Contains(string(attentionChart(nil)), "<svg") {
		t.Error("an empty attention chart draws an SVG")
	}
}
