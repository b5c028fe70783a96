package revenue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

var t0 = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

var (
	siteAccount  = keypair.MustRandom().Address()
	otherAccount = keypair.MustRandom().Address()
)

// openStore opens a real store database and the attention store in it.
func openStore(t testing.TB, driver string) (store.DB, *attention.SQLStore) {
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

// books writes what the meter, the payment endpoint and the attention
// handler write, through the store's and attention's own methods.
type books struct {
	t  testing.TB
	l  store.DB
	a  *attention.SQLStore
	n  int
	tx map[[32]byte]string
}

func newBooks(t testing.TB, driver string) *books {
	l, a := openStore(t, driver)
	return &books{t: t, l: l, a: a, tx: map[[32]byte]string{}}
}

// pay records a request of session for round, paid at paidAt to dest in
// asset, and the round it bought, as the meter and the payment endpoint
// do; it returns the transaction hash.
func (b *books) pay(session string, round int, dest, asset, amount string, paidAt time.Time) string {
	b.t.Helper()
	ctx := context.Background()
	b.n++
	id := payreq.ID{byte(b.n), byte(b.n >> 8), 0xaa}
	stroops, err := payreq.ParseAmount(amount)
	if err != nil {
		b.t.Fatal(err)
	}
	p := store.PaymentRequest{Request: payreq.Request{ID: id, Destination: dest, AssetCode: asset, AssetIssuer: "GISSUER",
		Amount: stroops, NetworkPassphrase: "Test SDF Network ; September 2015", Bytes: 1 << 20, ExpiresAt: paidAt.Add(time.Hour)},
		Session: session, CreatedAt: paidAt.Add(-time.Minute)}
	if err := b.l.PutPaymentRequests(ctx, []store.PaymentRequest{p}); err != nil {
		b.t.Fatal(err)
	}
	tx := fmt.Sprintf("%064x", b.n)
	if _, err := b.l.BeginSettle(ctx, id, tx, paidAt); err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.l.FinishSettle(ctx, id, tx, paidAt); err != nil {
		b.t.Fatal(err)
	}
	if err := b.l.AddRounds(ctx, []store.Round{{Session: session, N: round, Bytes: 1 << 20, PaymentRequest: id, StartedAt: paidAt}}); err != nil {
		b.t.Fatal(err)
	}
	return tx
}

// read records what session read of pages in round: visible ms and bytes.
func (b *books) read(session string, round int, pages ...attention.PageRound) {
	b.t.Helper()
	for i := range pages {
		pages[i].Site, pages[i].Session, pages[i].Round = "news", session, round
	}
	if err := b.a.Add(context.Background(), nil, pages); err != nil {
		b.t.Fatal(err)
	}
}

func (b *books) build(terms attention.RevenueTerms, pool Amount) Report {
	b.t.Helper()
	from, to := Month(t0)
	if terms.Destination == "" {
		terms.Destination = siteAccount
	}
	r, err := Build(context.Background(), b.l, b.a, Inputs{Site: "news", From: from, To: to, Terms: terms, Pool: pool, Now: t0})
	if err != nil {
		b.t.Fatal(err)
	}
	checkSums(b.t, r)
	return r
}

// checkSums: every split sums to its whole.
func checkSums(t testing.TB, r Report) {
	t.Helper()
	var payees, pages, txs Amount
	for _, p := range r.Payees {
		var own Amount
		for _, pa := range p.Pages {
			own += pa.Amount
		}
		if own+p.Unattributed != p.Amount {
			t.Errorf("payee %s: parts %v + %v, amount %v", p.Account, own, p.Unattributed, p.Amount)
		}
		payees += p.Amount
	}
	for _, p := range r.Pages {
		pages += p.Amount
	}
	for _, tx := range r.Transactions {
		var parts Amount
		for _, p := range tx.Pages {
			parts += p.Amount
		}
		if tx.Basis != BasisNone && parts != tx.Amount {
			t.Errorf("transaction %s: parts %v of %v", tx.TxHash, parts, tx.Amount)
		}
		txs += tx.Amount
	}
	if payees != r.Income || pages+r.Unattributed != r.Income || txs != r.PaymentsAmount {
		t.Errorf("payees %v, pages %v + unattributed %v, transactions %v; income %v, payments %v",
			payees, pages, r.Unattributed, txs, r.Income, r.PaymentsAmount)
	}
}

func tp(path string, ms, bytes int64, amount Amount) TxPage {
	return TxPage{Path: path, VisibleMS: ms, Bytes: bytes, Amount: amount}
}

// TestBuildSplitsEachPayment: each payment is split among the pages its
// own session read in the rounds it bought, by visible time, else by
// bytes; free-round reading and other sessions' reading move none of it.
func TestBuildSplitsEachPayment(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			b := newBooks(t, driver)
			s1a := b.pay("t:one", 2, siteAccount, "TPT", "10", t0)
			s1b := b.pay("t:one", 3, siteAccount, "TPT", "2.5", t0.Add(time.Hour))
			s2 := b.pay("t:two", 2, siteAccount, "TPT", "0.0000001", t0.Add(2*time.Hour))
			s3 := b.pay("t:three", 2, siteAccount, "TPT", "1", t0.Add(3*time.Hour))
			s4 := b.pay("t:four", 2, siteAccount, "TPT", "1", t0.Add(4*time.Hour))
			// Payments that are not the site's income this month.
			b.pay("t:one", 4, siteAccount, "TPT", "99", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			b.pay("t:one", 5, otherAccount, "TPT", "99", t0)
			b.pay("t:one", 6, siteAccount, "XLM", "99", t0)
			b.read("t:one", 1, attention.PageRound{Path: "/c.html", VisibleMS: 1_000_000}) // free round
			b.read("t:one", 2, attention.PageRound{Path: "/a.html", VisibleMS: 3000, Reports: 2, Bytes: 10},
				attention.PageRound{Path: "/b.html", VisibleMS: 1000, Reports: 1})
			b.read("t:one", 3, attention.PageRound{Path: "/b.html", VisibleMS: 500})
			b.read("t:one", 4, attention.PageRound{Path: "/c.html", VisibleMS: 500}) // paid next month
			b.read("t:two", 2, attention.PageRound{Path: "/b.html", VisibleMS: 1}, attention.PageRound{Path: "/a.html", VisibleMS: 1})
			b.read("t:three", 2, attention.PageRound{Path: "/a.html", Bytes: 3000}, attention.PageRound{Path: "/c.html", Bytes: 1000})
			b.read("t:unpaid", 2, attention.PageRound{Path: "/c.html", VisibleMS: 9_000_000})

			r := b.build(attention.RevenueTerms{}, 0)
			want := []Transaction{
				{TxHash: s1a, PaidAt: t0, Amount: 100_000_000, Basis: BasisAttention,
					Pages: []TxPage{tp("/a.html", 3000, 10, 75_000_000), tp("/b.html", 1000, 0, 25_000_000)}},
				{TxHash: s1b, PaidAt: t0.Add(time.Hour), Amount: 25_000_000, Basis: BasisAttention,
					Pages: []TxPage{tp("/b.html", 500, 0, 25_000_000)}},
				// One stroop over two equal weights: the earlier path has it.
				{TxHash: s2, PaidAt: t0.Add(2 * time.Hour), Amount: 1, Basis: BasisAttention,
					Pages: []TxPage{tp("/a.html", 1, 0, 1), tp("/b.html", 1, 0, 0)}},
				{TxHash: s3, PaidAt: t0.Add(3 * time.Hour), Amount: 10_000_000, Basis: BasisBytes,
					Pages: []TxPage{tp("/a.html", 0, 3000, 7_500_000), tp("/c.html", 0, 1000, 2_500_000)}},
				{TxHash: s4, PaidAt: t0.Add(4 * time.Hour), Amount: 10_000_000, Basis: BasisNone, Pages: []TxPage{}},
			}
			if !reflect.DeepEqual(r.Transactions, want) {
				t.Errorf("transactions\n%+v\nwant\n%+v", r.Transactions, want)
			}
			if r.Payments != 5 || r.PaymentsAmount != 145_000_001 || r.Unattributed != 10_000_000 {
				t.Errorf("payments %d of %v, unattributed %v", r.Payments, r.PaymentsAmount, r.Unattributed)
			}
			pages := map[string]Amount{}
			for _, p := range r.Pages {
				pages[p.Path] = p.Amount
			}
			if want := map[string]Amount{"/a.html": 82_500_001, "/b.html": 50_000_000, "/c.html": 2_500_000}; !reflect.DeepEqual(pages, want) {
				t.Errorf("pages %v, want %v", pages, want)
			}
		})
	}
}

func TestBuildPool(t *testing.T) {
	b := newBooks(t, "sqlite")
	b.pay("t:one", 2, siteAccount, "TPT", "3", t0)
	b.read("t:one", 2, attention.PageRound{Path: "/a.html", VisibleMS: 2000}, attention.PageRound{Path: "/b.html", VisibleMS: 1000})
	r := b.build(attention.RevenueTerms{}, 1) // one stroop of pool, by the pages' amounts 2:1
	if r.Pages[0].FromPool != 1 || r.Pages[1].FromPool != 0 || r.Income != 30_000_001 {
		t.Errorf("pool split %+v, income %v", r.Pages, r.Income)
	}
	empty := newBooks(t, "sqlite")
	r = empty.build(attention.RevenueTerms{}, 5)
	if r.Unattributed != 5 || len(r.Payees) != 1 || r.Payees[0].Account != siteAccount || r.Payees[0].Amount != 5 {
		t.Errorf("a pool with no payments: %+v", r)
	}
}

func TestBuildErrors(t *testing.T) {
	b := newBooks(t, "sqlite")
	if _, err := Build(context.Background(), b.l, b.a, Inputs{Site: "news", From: 5, To: 5}); !errors.Is(err, ErrPeriod) {
		t.Errorf("empty period: %v", err)
	}
}

func TestWriteCSV(t *testing.T) {
	b := newBooks(t, "sqlite")
	b.pay("t:one", 2, siteAccount, "TPT", "12.5000001", t0)
	b.pay("t:two", 2, siteAccount, "TPT", "1", t0)
	b.read("t:one", 2, attention.PageRound{Path: "/a.html", VisibleMS: 3000}, attention.PageRound{Path: "/b.html", VisibleMS: 1000})
	r := b.build(attention.RevenueTerms{}, 0)
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`site,from,to,asset_code,account,path,amount
news,2026-11-01,2026-12-01,TPT,%[1]s,/a.html,9.3750001
news,2026-11-01,2026-12-01,TPT,%[1]s,/b.html,3.1250000
news,2026-11-01,2026-12-01,TPT,%[1]s,(unattributed),1.0000000
news,2026-11-01,2026-12-01,TPT,,(total),13.5000001
`, siteAccount)
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}
