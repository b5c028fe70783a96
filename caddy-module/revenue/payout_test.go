package revenue

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// TestPayout (issue 18): a period with three payees and forty payments.
// The payout transaction's amounts and the site's own share add up
// exactly to the income; signed by the site's key (as the owner would,
// elsewhere), the simulated network accepts it and each payee's balance
// grows by exactly its amount; the same envelope is not accepted twice.
func TestPayout(t *testing.T) {
	site, issuer := spt.Key("payout-site"), spt.Key("payout-issuer")
	payees := []string{spt.Key("payee-0").Address(), spt.Key("payee-1").Address(), spt.Key("payee-2").Address()}
	tpt := simledger.Asset{Code: "TPT", Issuer: issuer.Address()}
	g := simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: site.Address(), Balance: "100", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "1000"}}},
	}}
	for _, p := range payees {
		g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: p, Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "0"}}})
	}
	ledger, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}

	terms := attention.RevenueTerms{Destination: site.Address(), Payees: []attention.PayeeRule{
		{Pattern: "/a/", Payees: []attention.PayeeWeight{{Account: payees[0], Weight: 1}}},
		{Pattern: "/co/", Payees: []attention.PayeeWeight{{Account: payees[1], Weight: 2}, {Account: payees[2], Weight: 1}}},
		{Pattern: "/c/*.html", Payees: []attention.PayeeWeight{{Account: payees[2], Weight: 1}}},
	}}
	b := newBooks(t, "sqlite")
	for i := 0; i < 40; i++ {
		s := fmt.Sprintf("t:payer-%02d", i)
		b.pay(s, 2, site.Address(), "TPT", fmt.Sprintf("%d.%07d", 1+i%3, 1_234_567*i%10_000_000), t0.Add(time.Duration(i)*time.Minute))
		b.read(s, 2, attention.PageRound{Path: "/a/x.html", VisibleMS: int64(100 + 7*i)},
			attention.PageRound{Path: "/co/y.html", VisibleMS: int64(333 + i)},
			attention.PageRound{Path: "/c/z.html", VisibleMS: int64(1 + i%5)},
			attention.PageRound{Path: "/index.html", VisibleMS: int64(50)})
	}
	r := b.build(terms, 0)
	if r.Payments != 40 {
		t.Fatalf("%d payments", r.Payments)
	}
	acct, err := ledger.Account(site.Address())
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := PayoutTransaction(r, PayoutTerms{AssetIssuer: issuer.Address(), Sequence: acct.Sequence})
	if err != nil {
		t.Fatal(err)
	}
	gen, err := txnbuild.TransactionFromXDR(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := gen.Transaction()
	if len(tx.Signatures()) != 0 {
		t.Fatal("the payout transaction is signed")
	}
	owed := map[string]Amount{}
	var sum Amount
	for _, op := range tx.Operations() {
		p := op.(*txnbuild.Payment)
		a, err := ParseAmount(p.Amount)
		if err != nil {
			t.Fatal(err)
		}
		owed[p.Destination] += a
		sum += a
	}
	var own Amount
	for _, p := range r.Payees {
		if p.Account == site.Address() {
			own = p.Amount
		}
	}
	if len(owed) != 3 || sum+own != r.Income {
		t.Fatalf("payouts %v (sum %v) + the site's %v, income %v", owed, sum, own, r.Income)
	}

	// The owner signs elsewhere; the network accepts it once.
	signed, err := tx.Sign(spt.Passphrase, site)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := signed.Base64()
	res, _, err := ledger.Submit(env)
	if err != nil || !res.Successful {
		t.Fatalf("the network refused the signed payout: %v %+v", err, res)
	}
	for _, p := range payees {
		if bal, _ := ledger.Balance(p, tpt); Amount(bal) != owed[p] {
			t.Errorf("payee %s holds %v, owed %v", p, Amount(bal), owed[p])
		}
	}
	if res, dup, err := ledger.Submit(env); err == nil && !dup && res.Successful {
		t.Error("the same payout was accepted twice")
	}
	if bal, _ := ledger.Balance(site.Address(), tpt); Amount(bal) != 1000*StroopsPerUnit-sum {
		t.Errorf("the site holds %v after paying %v", Amount(bal), sum)
	}

	var csvOut bytes.Buffer
	if err := r.WritePayoutCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var csvSum Amount
	for _, row := range rows[1 : len(rows)-1] {
		a, err := ParseAmount(row[5])
		if err != nil {
			t.Fatal(err)
		}
		csvSum += a
	}
	if len(rows) != 6 || csvSum != r.Income || rows[len(rows)-1][5] != r.Income.String() {
		t.Errorf("payout CSV sums to %v of %v:\n%s", csvSum, r.Income, csvOut.String())
	}
}
