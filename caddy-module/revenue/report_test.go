package revenue

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

var t0 = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

const (
	siteAccount  = "GSITE"
	otherAccount = "GOTHER"
)

// openLedger opens a real ledger database and the attention store in it.
func openLedger(t testing.TB, driver string) (store.DB, *attention.SQLStore) {
	t.Helper()
	ctx := context.Background()
	var l store.DB
	var err error
	if driver == "postgres" {
		l, err = store.OpenPostgres(ctx, pgtest.Start(t).DSN)
	} else {
		l, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "store.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	db, name, _ := store.SQL(l)
	a, err := attention.NewSQLStore(ctx, db, name)
	if err != nil {
		t.Fatal(err)
	}
	return l, a
}

// pay stores a payment request and settles it at paidAt, as the payment
// endpoint does.
func pay(t testing.TB, l store.DB, n byte, dest, asset, amount string, paidAt time.Time) {
	t.Helper()
	ctx := context.Background()
	a, err := payreq.ParseAmount(amount)
	if err != nil {
		t.Fatal(err)
	}
	p := store.PaymentRequest{Request: payreq.Request{ID: payreq.ID{n}, Destination: dest, AssetCode: asset, AssetIssuer: "GISSUER",
		Amount: a, NetworkPassphrase: "Test SDF Network ; September 2015", Bytes: 1 << 20, ExpiresAt: paidAt.Add(time.Hour)},
		Session: "s", CreatedAt: paidAt.Add(-time.Minute)}
	if err := l.PutPaymentRequests(ctx, []store.PaymentRequest{p}); err != nil {
		t.Fatal(err)
	}
	tx := strings.Repeat(string("0123456789abcdef"[n%16]), 60) + string(rune('a'+n%26)) + "000"
	if _, err := l.BeginSettle(ctx, p.ID, tx, paidAt); err != nil {
		t.Fatal(err)
	}
	if _, err := l.FinishSettle(ctx, p.ID, tx, paidAt); err != nil {
		t.Fatal(err)
	}
}

// fixture: November 2026 has 3 payments to the site (10 + 2.5 + 0.0000001
// TPT), plus payments that must not count; /a.html had 3× the attention of
// /b.html.
func fixture(t testing.TB, driver string) (store.DB, *attention.SQLStore) {
	l, a := openLedger(t, driver)
	pay(t, l, 1, siteAccount, "TPT", "10", t0)
	pay(t, l, 2, siteAccount, "TPT", "2.5", t0.Add(48*time.Hour))
	pay(t, l, 3, siteAccount, "TPT", "0.0000001", time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC))
	pay(t, l, 4, siteAccount, "TPT", "99", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) // next month
	pay(t, l, 5, siteAccount, "TPT", "99", time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC))
	pay(t, l, 6, otherAccount, "TPT", "99", t0) // another site
	pay(t, l, 7, siteAccount, "XLM", "99", t0)  // another asset
	// A pending request is no income.
	if err := l.PutPaymentRequests(context.Background(), []store.PaymentRequest{{Request: payreq.Request{ID: payreq.ID{8},
		Destination: siteAccount, AssetCode: "TPT", Amount: 990_000_000, ExpiresAt: t0.Add(time.Hour)}, Session: "s", CreatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	d := attention.DayOf(t0)
	if err := a.Add(context.Background(), []attention.Daily{
		{Site: "news", Day: d, Path: "/a.html", VisibleMS: 90_000, Reports: 9},
		{Site: "news", Day: d + 5, Path: "/a.html", VisibleMS: 60_000, Reports: 6},
		{Site: "news", Day: d, Path: "/b.html", VisibleMS: 50_000, Reports: 5},
		{Site: "news", Day: d + 30, Path: "/b.html", VisibleMS: 1_000_000, Reports: 1}, // December
		{Site: "other", Day: d, Path: "/b.html", VisibleMS: 1_000_000, Reports: 1},
	}); err != nil {
		t.Fatal(err)
	}
	return l, a
}

func TestBuildSplitsThreeToOne(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			l, a := fixture(t, driver)
			from, to := Month(t0)
			tests := []struct {
				name  string
				pool  Amount
				pages []PageShare
				in    Amount
			}{
				// 12.5000001 TPT: 3/4 is 9.37500007 5, rounded down, and the left stroop goes to the larger remainder.
				{"payments only", 0, []PageShare{{"/a.html", 150_000, 15, 750_000, 93_750_001}, {"/b.html", 50_000, 5, 250_000, 31_250_000}}, 125_000_001},
				{"with a pool of 87.5", 875_000_000, []PageShare{{"/a.html", 150_000, 15, 750_000, 750_000_001}, {"/b.html", 50_000, 5, 250_000, 250_000_000}}, 1_000_000_001},
			}
			for _, tt := range tests {
				r, err := Build(context.Background(), l, a, Inputs{Site: "news", From: from, To: to,
					Terms: attention.RevenueTerms{Destination: siteAccount}, Pool: tt.pool, Now: t0})
				if err != nil {
					t.Fatal(err)
				}
				if r.Payments != 3 || r.PaymentsAmount != 125_000_001 || r.Income != tt.in || r.AttentionMS != 200_000 {
					t.Errorf("%s: payments %d %v, income %v, attention %d", tt.name, r.Payments, r.PaymentsAmount, r.Income, r.AttentionMS)
				}
				if !reflect.DeepEqual(r.Pages, tt.pages) {
					t.Errorf("%s: pages %+v, want %+v", tt.name, r.Pages, tt.pages)
				}
				if sum := r.Pages[0].Amount + r.Pages[1].Amount; sum != r.Income {
					t.Errorf("%s: parts sum to %v of %v", tt.name, sum, r.Income)
				}
			}
		})
	}
}

func TestBuildEdges(t *testing.T) {
	l, a := fixture(t, "sqlite")
	ctx := context.Background()
	// No destination: every paid TPT request of the month counts (10 + 2.5 + 0.0000001 + 99 to GOTHER).
	r, err := Build(ctx, l, a, Inputs{Site: "news", From: attention.DayOf(t0) - 9, To: attention.DayOf(t0) + 21, Now: t0})
	if err != nil || r.PaymentsAmount != 1_115_000_001 || r.Payments != 4 {
		t.Errorf("without destination: %v %d, %v", r.PaymentsAmount, r.Payments, err)
	}
	// No attention: all income unallocated.
	r, err = Build(ctx, l, a, Inputs{Site: "empty", From: attention.DayOf(t0) - 9, To: attention.DayOf(t0) + 21, Pool: 5, Now: t0})
	if err != nil || r.Unallocated != r.Income || len(r.Pages) != 0 {
		t.Errorf("no attention: unallocated %v of %v, %d pages, %v", r.Unallocated, r.Income, len(r.Pages), err)
	}
	if _, err := Build(ctx, l, a, Inputs{Site: "news", From: 5, To: 5}); err != ErrPeriod {
		t.Errorf("empty period: %v", err)
	}
}

func TestWriteCSV(t *testing.T) {
	l, a := fixture(t, "sqlite")
	from, to := Month(t0)
	r, err := Build(context.Background(), l, a, Inputs{Site: "news", From: from, To: to,
		Terms: attention.RevenueTerms{Destination: siteAccount}, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := `site,from,to,asset_code,path,visible_ms,reports,share_ppm,amount
news,2026-11-01,2026-12-01,TPT,/a.html,150000,15,750000,9.3750001
news,2026-11-01,2026-12-01,TPT,/b.html,50000,5,250000,3.1250000
news,2026-11-01,2026-12-01,TPT,(total),200000,20,1000000,12.5000001
`
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}
