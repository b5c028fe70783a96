package revenue

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// TestFraudSimulation (issue 18): 1,000 forged sessions report the most
// attention a month holds on one page — half with an unpaid payment
// request and a round the meter numbered for it, half with nothing but
// free-round reading — and move 0 stroops; a paying attacker that puts all
// its attention on that page moves exactly its own payment there; the
// honest sessions' shares are unchanged throughout.
func TestFraudSimulation(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { testFraud(t, driver) })
	}
}

func testFraud(t *testing.T, driver string) {
	const forged = 1000
	month := int64(30 * 24 * time.Hour / time.Millisecond)
	attacker := keypair.MustRandom().Address()
	terms := attention.RevenueTerms{Payees: []attention.PayeeRule{{Pattern: "/target.html",
		Payees: []attention.PayeeWeight{{Account: attacker, Weight: 1}}}}}
	b := newBooks(t, driver)
	ctx := context.Background()

	// Honest readers.
	for i, amount := range []string{"1.5", "3", "0.7"} {
		s := fmt.Sprintf("t:honest-%d", i)
		b.pay(s, 2, siteAccount, "TPT", amount, t0.Add(time.Duration(i)*time.Hour))
		b.read(s, 1, attention.PageRound{Path: "/target.html", VisibleMS: 5000}) // free round: statistics
		b.read(s, 2, attention.PageRound{Path: "/a.html", VisibleMS: int64(1000 * (i + 1))},
			attention.PageRound{Path: "/b.html", VisibleMS: 777}, attention.PageRound{Path: "/target.html", VisibleMS: 100})
	}
	before := b.build(terms, 0)

	// The forgery: every session at its maximum on the target page.
	var pages []attention.PageRound
	var daily []attention.Daily
	for i := 0; i < forged; i++ {
		s := fmt.Sprintf("t:forged-%04d", i)
		for round := 1; round <= 3; round++ {
			pages = append(pages, attention.PageRound{Site: "news", Session: s, Round: round, Path: "/target.html", VisibleMS: month, Reports: 1})
		}
		daily = append(daily, attention.Daily{Site: "news", Day: attention.DayOf(t0), Path: "/target.html", VisibleMS: month, Reports: 1})
		if i%2 == 1 {
			continue
		}
		id := payreq.ID{0xf0, byte(i), byte(i >> 8)}
		if err := b.l.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: payreq.Request{ID: id, Destination: siteAccount,
			AssetCode: "TPT", Amount: 10_000_000_000, ExpiresAt: t0.Add(time.Minute)}, Session: s, CreatedAt: t0}}); err != nil {
			t.Fatal(err)
		}
		if err := b.l.AddRounds(ctx, []store.Round{{Session: s, N: 2, Bytes: 1 << 20, StartedAt: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.a.Add(ctx, daily, pages); err != nil {
		t.Fatal(err)
	}
	if _, err := b.l.ExpirePending(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	after := b.build(terms, 0)
	if !reflect.DeepEqual(after.Pages, before.Pages) || !reflect.DeepEqual(after.Payees, before.Payees) ||
		!reflect.DeepEqual(after.Transactions, before.Transactions) || after.Income != before.Income {
		t.Errorf("1,000 sessions that paid nothing moved money:\nbefore %+v\nafter  %+v", before.Payees, after.Payees)
	}
	if stat := total(after.Attention, "/target.html"); stat < forged*month {
		t.Errorf("the forged attention is not even in the statistics: %d ms", stat)
	}

	// A paying attacker: all its attention on the target.
	tx := b.pay("t:attacker", 2, siteAccount, "TPT", "1.5", t0.Add(5*time.Hour))
	b.read("t:attacker", 2, attention.PageRound{Path: "/target.html", VisibleMS: month})
	paid := b.build(terms, 0)
	want := map[string]Amount{}
	for _, p := range before.Pages {
		want[p.Path] = p.Amount
	}
	want["/target.html"] += 15_000_000
	for _, p := range paid.Pages {
		if p.Amount != want[p.Path] {
			t.Errorf("page %s: %v, want %v (honest share plus exactly the attacker's payment)", p.Path, p.Amount, want[p.Path])
		}
	}
	for _, p := range paid.Payees {
		var was Amount
		for _, q := range before.Payees {
			if q.Account == p.Account {
				was = q.Amount
			}
		}
		if p.Account == attacker {
			was += 15_000_000
		}
		if p.Amount != was {
			t.Errorf("payee %s: %v, want %v", p.Account, p.Amount, was)
		}
	}
	last := paid.Transactions[len(paid.Transactions)-1]
	if last.TxHash != tx || len(last.Pages) != 1 || last.Pages[0] != tp("/target.html", month, 0, 15_000_000) {
		t.Errorf("the attacker's transaction: %+v", last)
	}
}

func total(pages []attention.PageTotal, path string) int64 {
	for _, p := range pages {
		if p.Path == path {
			return p.VisibleMS
		}
	}
	return 0
}
