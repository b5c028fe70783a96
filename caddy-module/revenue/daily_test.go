package revenue

import (
	"reflect"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
)

// TestByDay: the dashboard's income over time, per page and per payee, by
// the day each payment was made; the unattributed income is the site's.
func TestByDay(t *testing.T) {
	author := keypair.MustRandom().Address()
	terms := attention.RevenueTerms{Destination: siteAccount, Payees: []attention.PayeeRule{
		{Pattern: "/a.html", Payees: []attention.PayeeWeight{{Account: author, Weight: 1}}}}}
	b := newBooks(t, "sqlite")
	b.pay("t:one", 2, siteAccount, "TPT", "0.0000004", t0)
	b.pay("t:two", 2, siteAccount, "TPT", "0.0000002", t0.Add(24*time.Hour))
	b.pay("t:three", 2, siteAccount, "TPT", "0.0000001", t0.Add(24*time.Hour)) // read nothing
	b.read("t:one", 2, attention.PageRound{Path: "/a.html", VisibleMS: 1}, attention.PageRound{Path: "/b.html", VisibleMS: 1})
	b.read("t:two", 2, attention.PageRound{Path: "/a.html", VisibleMS: 5})
	r := b.build(terms, 0)
	pages, payees := r.ByDay(terms)
	d0, d1 := attention.DayOf(t0).String(), attention.DayOf(t0.Add(24*time.Hour)).String()
	wantPages := []DayIncome{{d0, "/a.html", 2}, {d0, "/b.html", 2}, {d1, "/a.html", 2}}
	if !reflect.DeepEqual(pages, wantPages) {
		t.Errorf("pages by day %v, want %v", pages, wantPages)
	}
	wantPayees := []DayIncome{{d0, author, 2}, {d0, siteAccount, 2}, {d1, author, 2}, {d1, siteAccount, 1}}
	if author > siteAccount {
		wantPayees[0], wantPayees[1] = wantPayees[1], wantPayees[0]
		wantPayees[2], wantPayees[3] = wantPayees[3], wantPayees[2]
	}
	if !reflect.DeepEqual(payees, wantPayees) {
		t.Errorf("payees by day %v, want %v", payees, wantPayees)
	}
}
