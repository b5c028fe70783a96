package revenue

import (
	"reflect"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
)

// TestPayees: the pages' amounts go to the payees of the first rule that
// matches them, co-authored paths by weight (the odd stroop to the payee
// listed first), the rest to the site; each payee's lines name the pages
// and transactions they come from, and they sum to the income.
func TestPayees(t *testing.T) {
	alice, bob, carol := keypair.MustRandom().Address(), keypair.MustRandom().Address(), keypair.MustRandom().Address()
	rule := func(fields ...string) attention.PayeeRule {
		r, err := attention.ParsePayeeRule(fields)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	terms := attention.RevenueTerms{Payees: []attention.PayeeRule{
		rule("/articles/special.html", carol),
		rule("/articles/", alice+":2", bob+":1"),
		rule("/about.html", carol),
	}}
	b := newBooks(t, "sqlite")
	tx1 := b.pay("t:one", 2, siteAccount, "TPT", "0.0000010", t0) // 10 stroops
	tx2 := b.pay("t:two", 2, siteAccount, "TPT", "0.0000004", t0.Add(time.Hour))
	b.pay("t:three", 2, siteAccount, "TPT", "1", t0.Add(2*time.Hour)) // read nothing
	b.read("t:one", 2, attention.PageRound{Path: "/articles/x.html", VisibleMS: 5},
		attention.PageRound{Path: "/articles/special.html", VisibleMS: 3}, attention.PageRound{Path: "/index.html", VisibleMS: 2})
	b.read("t:two", 2, attention.PageRound{Path: "/about.html", VisibleMS: 1}, attention.PageRound{Path: "/articles/x.html", VisibleMS: 1})
	r := b.build(terms, 0)
	want := []PayeeShare{
		// /articles/x.html has 5 (tx1) + 2 (tx2) = 7 stroops: 2:1 is 4.67 : 2.33, so 4 + 2 and the odd one to alice.
		{Account: alice, Amount: 5, Pages: []PathAmount{{"/articles/x.html", 5}}, TxHashes: sorted(tx1, tx2)},
		{Account: bob, Amount: 2, Pages: []PathAmount{{"/articles/x.html", 2}}, TxHashes: sorted(tx1, tx2)},
		{Account: carol, Amount: 5, Pages: []PathAmount{{"/about.html", 2}, {"/articles/special.html", 3}}, TxHashes: sorted(tx1, tx2)},
		{Account: siteAccount, Amount: 10_000_002, Pages: []PathAmount{{"/index.html", 2}}, Unattributed: 10_000_000, TxHashes: []string{tx1}},
	}
	sortPayees(want)
	if !reflect.DeepEqual(r.Payees, want) {
		t.Errorf("payees\n%+v\nwant\n%+v", r.Payees, want)
	}
}

func sorted(a, b string) []string {
	if b < a {
		a, b = b, a
	}
	return []string{a, b}
}

func sortPayees(p []PayeeShare) {
	for i := range p {
		for j := i + 1; j < len(p); j++ {
			if p[j].Account < p[i].Account {
				p[i], p[j] = p[j], p[i]
			}
		}
	}
}
