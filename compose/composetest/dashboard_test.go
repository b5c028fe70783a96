package composetest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/torplus/torplus/caddy-module/revenue"
	"github.com/torplus/torplus/internal/browsertest"
)

// shownDashboard is what a person reads on the dashboard page.
type shownDashboard struct {
	Requests, Payments string // the tiles' values
	Revenue            string // "Revenue this month"
	// PaymentsPerDay adds up the chart's days ("<day>: N payments", the
	// text each bar shows when pointed at).
	PaymentsPerDay int
	Split          string // the revenue split section's text
}

var dayPayments = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}: (\d+) payments$`)

// readDashboard opens the dashboard at addr in headless Chromium, reads
// its tiles, its per-day chart and its revenue split as rendered, and
// keeps a screenshot (browsertest.Screenshot) named file.
func readDashboard(t *testing.T, addr, file string) shownDashboard {
	t.Helper()
	bctx := browsertest.Start(t)
	bctx, cancel := context.WithTimeout(bctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+addr+"/"), chromedp.WaitVisible(chromedp.CSS("#revenue-split"))); err != nil {
		t.Fatalf("dashboard in Chromium: %v", err)
	}
	var d shownDashboard
	for id, v := range map[string]*string{"payment-requests": &d.Requests, "payments": &d.Payments, "revenue": &d.Revenue} {
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#"+id+" .value")))
		if err != nil {
			t.Fatalf("dashboard tile %s: %v", id, err)
		}
		*v = s
	}
	split, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#revenue-split")))
	if err != nil {
		t.Fatalf("dashboard revenue split: %v", err)
	}
	d.Split = split
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("svg.chart rect > title")].map(e => e.textContent)`))
	if err != nil {
		t.Fatalf("dashboard chart: %v", err)
	}
	for _, b := range bars {
		if m := dayPayments.FindStringSubmatch(b); m != nil {
			n, _ := strconv.Atoi(m[1])
			d.PaymentsPerDay += n
		}
	}
	browsertest.Screenshot(bctx, t, file)
	return d
}

// assertDashboardShowsPaid checks that the dashboard a person sees counts
// exactly the payments a client made, and their sum as this month's
// revenue.
func assertDashboardShowsPaid(t *testing.T, addr string, paid int, stroops int64) {
	t.Helper()
	d := readDashboard(t, addr, "compose-demo-dashboard.png")
	want, amount := strconv.Itoa(paid), revenue.Amount(stroops).String()
	requests, err := strconv.Atoi(d.Requests)
	if d.Payments != want || d.PaymentsPerDay != paid || d.Revenue != amount || err != nil || requests < paid {
		t.Fatalf("the client paid %d requests (%s TPT); the dashboard shows %s payment requests, %s payments "+
			"(%d in the chart's days) and revenue %s", paid, amount, d.Requests, d.Payments, d.PaymentsPerDay, d.Revenue)
	}
	// The split's total row counts every payment of the month; with no
	// paid reading the section says whose the income is instead.
	total := fmt.Sprintf("Income (%d payments", paid)
	if !strings.Contains(d.Split, amount) || !strings.Contains(d.Split, total) && !strings.Contains(d.Split, "No paid reading") {
		t.Fatalf("the revenue split does not show %q and the income %s:\n%s", total, amount, d.Split)
	}
}
