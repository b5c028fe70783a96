package dashboard

import (
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/revenue"
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
	svg := string(attentionChart([]PageAttention{{Path: "/<script>.html", PaidMS: 60, FreeMS: 40},
		{Path: "/b.html", FreeMS: 50}}))
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") {
		t.Errorf("page path not escaped: %s", svg)
	}
	// The longest bar spans the plot (400 px: 240 paid + 160 free); the other is half of it, all free.
	if !strings.Contains(svg, `class="paid" x="230.0" y="7" width="240.0"`) || !strings.Contains(svg, `class="free" x="470.0" y="7" width="160.0"`) ||
		!strings.Contains(svg, `class="free" x="230.0" y="35" width="200.0"`) {
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

func TestIncomeChart(t *testing.T) {
	days := []DayCount{{Day: "2026-11-01"}, {Day: "2026-11-02"}}
	rows := []revenue.DayIncome{{Day: "2026-11-01", Key: "/a.html", Amount: 30}, {Day: "2026-11-01", Key: "/<b>.html", Amount: 10},
		{Day: "2026-11-02", Key: "/a.html", Amount: 50}}
	svg := string(incomeChart("c", "Income", days, rows))
	for _, want := range []string{"2026-11-01: /a.html 0.0000030", "2026-11-01: /&lt;b&gt;.html 0.0000010", "2026-11-02: /a.html 0.0000050", ">0.0000050</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("income chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "<b>") {
		t.Error("a key is not escaped")
	}
	if strings.Contains(string(incomeChart("c", "Income", days, nil)), "<svg") {
		t.Error("an empty income chart draws an SVG")
	}
}
