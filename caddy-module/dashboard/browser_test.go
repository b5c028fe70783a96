package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/revenue"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/browsertest"
)

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// seedLedger records, through the site's own shared store, what the meter,
// the payment endpoint and the attention handler would have: sessions with
// bytes served, three payment requests of which two were paid, the rounds
// they bought and what their session read in them.
func seedLedger(t *testing.T, cfg store.Config, dest string) {
	ctx := context.Background()
	l, err := store.Acquire(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	now := time.Now().UTC()
	if err := l.PutSessions(ctx, []store.Session{
		{Key: "c:1", FirstSeen: now.Add(-time.Hour), LastSeen: now.Add(-time.Minute), BytesServed: 7_500_000, FreeBytes: 5_000_000},
		{Key: "c:2", FirstSeen: now.Add(-2 * time.Hour), LastSeen: now.Add(-time.Hour), BytesServed: 52_000_000, FreeBytes: 5_000_000},
	}); err != nil {
		t.Fatal(err)
	}
	for i, amount := range []payreq.Amount{15_000_000, 15_000_000, 15_000_000} {
		id := payreq.ID{byte(i + 1)}
		at := now.Add(-time.Duration(i) * 24 * time.Hour)
		if err := l.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: payreq.Request{ID: id, Destination: dest,
			AssetCode: "TPT", Amount: amount, ExpiresAt: now.Add(time.Hour)}, Session: "c:2", CreatedAt: at}}); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			continue // left unpaid
		}
		tx := strings.Repeat(fmt.Sprint(i), 64)
		if _, err := l.BeginSettle(ctx, id, tx, now); err != nil {
			t.Fatal(err)
		}
		if _, err := l.FinishSettle(ctx, id, tx, now); err != nil {
			t.Fatal(err)
		}
		if err := l.AddRounds(ctx, []store.Round{{Session: "c:2", N: 2 + i, Bytes: 1 << 20, PaymentRequest: id, StartedAt: now}}); err != nil {
			t.Fatal(err)
		}
	}
	// What c:2 read in the rounds it paid for: by attention, then by bytes.
	db, driver, _ := store.SQL(l)
	reports, err := attention.NewSQLStore(ctx, db, driver)
	if err != nil {
		t.Fatal(err)
	}
	today := attention.DayOf(now)
	if err := reports.Add(ctx, []attention.Daily{
		{Site: "example", Day: today, Path: "/about.html", VisibleMS: 3000, Reports: 2},
		{Site: "example", Day: today, Path: "/articles/growing.html", VisibleMS: 1000, Reports: 1},
	}, []attention.PageRound{
		{Site: "example", Session: "c:2", Round: 2, Path: "/about.html", VisibleMS: 3000, Reports: 2},
		{Site: "example", Session: "c:2", Round: 2, Path: "/articles/growing.html", VisibleMS: 1000, Reports: 1},
		{Site: "example", Session: "c:2", Round: 3, Path: "/articles/growing.html", Bytes: 5000},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserBeaconAndDashboard(t *testing.T) {
	ctx := browsertest.Start(t)
	root, err := filepath.Abs("../../www-example")
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "store.db")}
	dest, issuer := keypair.MustRandom().Address(), keypair.MustRandom().Address()
	// The meter, then the attention handler (the browser is a clearnet
	// client, keyed by its address), then the files.
	srv := attentiontest.Start(t, "", fmt.Sprintf(`	root * %s
	handle /dashboard {
		torplus_dashboard example
	}
	handle {
		route {
			torplus {
				price 1.5
				destination %[3]s
				asset TPT %[4]s
				allow_clearnet
				store sqlite %[2]s
			}
			torplus_attention example {
				allow_clearnet
				store sqlite %[2]s
				destination %[3]s
			}
			file_server {
				hide .*
			}
		}
	}`, root, cfg.DSN, dest, issuer))
	seedLedger(t, cfg, dest)

	// A visitor reads the home page for a while, then goes to another page.
	const stay = 2500 * time.Millisecond
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.Site+"/"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.visibilityState"))
	if err != nil || state != "visible" {
		t.Fatalf("visibilityState %q, %v", state, err)
	}
	time.Sleep(stay)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.Site+"/about.html"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	var att attention.Attention
	var home attention.PageTotal
	for i := 0; i < 50 && home.Reports < 2; i++ { // the view and the report on leaving
		time.Sleep(100 * time.Millisecond)
		getJSON(t, srv.Admin+"/torplus/attention?site=example", &att)
		for _, p := range att.Pages {
			if p.Path == "/" {
				home = p
			}
		}
	}
	if home.Reports != 2 || home.VisibleMS < stay.Milliseconds() || home.VisibleMS > stay.Milliseconds()+5000 {
		t.Fatalf("home page attention %+v, want 2 reports and about %v visible (all: %+v)", home, stay, att.Pages)
	}

	// The owner opens the dashboard.
	var rev revenue.Report
	getJSON(t, srv.Admin+"/torplus/revenue?site=example", &rev)
	var want Data
	// The browser's own session reaches the store with the meter's next
	// sweep (every 2 s): wait for it, bounded.
	for i := 0; i < 50; i++ {
		getJSON(t, srv.Admin+"/torplus/dashboard?site=example&format=json", &want)
		if want.ActiveSessions == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rev.Income != 30_000_000 || rev.Payments != 2 || want.Requests != 3 || want.Payments != 2 ||
		want.BytesServed < 59_500_000 || want.ActiveSessions != 2 {
		t.Fatalf("admin API: revenue %v from %d payments; dashboard %+v", rev.Income, rev.Payments, want)
	}
	// The first payment by attention 1:3, the second by bytes to one page.
	pages := map[string]revenue.Amount{}
	for _, p := range rev.Pages {
		pages[p.Path] = p.Amount
	}
	if len(pages) != 2 || pages["/about.html"] != 11_250_000 || pages["/articles/growing.html"] != 18_750_000 {
		t.Fatalf("revenue per page %v", pages)
	}
	// Caddy's admin listener refuses typed-in browser navigations, so a
	// person opens the dashboard handler on a loopback site; the admin
	// route gives scripts the same page.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.Site+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#revenue-split"))); err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	for _, id := range []string{"bytes-served", "active-sessions", "payment-requests", "payments", "revenue"} {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#"+id+" .value")))
		if err != nil {
			t.Fatal(err)
		}
		shown[id] = v
	}
	expect := map[string]string{"bytes-served": "60 MB", "active-sessions": "2", "payment-requests": "3",
		"payments": "2", "revenue": rev.Income.String()}
	for k, v := range expect {
		if shown[k] != v {
			t.Errorf("dashboard shows %s = %q, the admin API says %q", k, shown[k], v)
		}
	}
	split, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#revenue-split table")))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rev.Pages {
		if !strings.Contains(split, p.Path) || !strings.Contains(split, p.Amount.String()) {
			t.Errorf("revenue table lacks %s %s:\n%s", p.Path, p.Amount, split)
		}
	}
	adminPage := getText(t, srv.Admin+"/torplus/dashboard?site=example")
	for k, v := range expect {
		if !strings.Contains(adminPage, `id="`+k+`"`) || !strings.Contains(adminPage, ">"+v+"<") {
			t.Errorf("the admin route's page lacks %s = %s", k, v)
		}
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('svg.chart rect').length"))
	if err != nil || bars < 2*Window {
		t.Errorf("charts have %d bars (%v)", bars, err)
	}
	// Income over time per page and per payee, and paid against free attention.
	for _, q := range []struct {
		css  string
		want int
	}{
		{"#page-income-chart rect[fill]:not([width='12'])", 2},  // two pages paid today
		{"#payee-income-chart rect[fill]:not([width='12'])", 1}, // all to the site
		{"#attention-chart rect.paid", len(want.PageAttention)},
	} {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", q.css)))
		if err != nil || n != q.want {
			t.Errorf("%s: %d elements (%v), want %d", q.css, n, err, q.want)
		}
	}
	var free int64
	for _, p := range want.PageAttention {
		if p.Path == "/" {
			free = p.FreeMS
		}
	}
	if free < stay.Milliseconds() {
		t.Errorf("the browser's free-round reading of / is %d ms free, want at least %v: %+v", free, stay, want.PageAttention)
	}
	browsertest.Screenshot(ctx, t, "dashboard.png")
}
