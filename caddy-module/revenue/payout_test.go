package revenue

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/attention"
	rt "github.com/torplus/torplus/caddy-module/revenue/revenuetest"
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

	r := fortyPayments(t, site.Address(), payees)
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

// fortyPayments is the period of TestPayout: forty payments to site, each
// split among pages of three payees' rules (one co-authored) and a page of
// the site's own.
func fortyPayments(t *testing.T, site string, payees []string) Report {
	t.Helper()
	terms := attention.RevenueTerms{Destination: site, Payees: []attention.PayeeRule{
		{Pattern: "/a/", Payees: []attention.PayeeWeight{{Account: payees[0], Weight: 1}}},
		{Pattern: "/co/", Payees: []attention.PayeeWeight{{Account: payees[1], Weight: 2}, {Account: payees[2], Weight: 1}}},
		{Pattern: "/c/*.html", Payees: []attention.PayeeWeight{{Account: payees[2], Weight: 1}}},
	}}
	b := newBooks(t, "sqlite")
	for i := 0; i < 40; i++ {
		s := fmt.Sprintf("t:payer-%02d", i)
		b.pay(s, 2, site, "TPT", fmt.Sprintf("%d.%07d", 1+i%3, 1_234_567*i%10_000_000), t0.Add(time.Duration(i)*time.Minute))
		b.read(s, 2, attention.PageRound{Path: "/a/x.html", VisibleMS: int64(100 + 7*i)},
			attention.PageRound{Path: "/co/y.html", VisibleMS: int64(333 + i)},
			attention.PageRound{Path: "/c/z.html", VisibleMS: int64(1 + i%5)},
			attention.PageRound{Path: "/index.html", VisibleMS: int64(50)})
	}
	r := b.build(terms, 0)
	if r.Payments != 40 {
		t.Fatalf("%d payments", r.Payments)
	}
	return r
}

// payoutSum checks that the payouts and the site's own share sum exactly
// to the income, with one payout to each of payees, and returns what each
// is owed.
func payoutSum(t *testing.T, r Report, site string, payees []string) map[string]Amount {
	t.Helper()
	owed := map[string]Amount{}
	var sum, own Amount
	for _, p := range r.Payouts() {
		owed[p.Account] += p.Amount
		sum += p.Amount
	}
	for _, p := range r.Payees {
		if p.Account == site {
			own = p.Amount
		}
	}
	if len(owed) != len(payees) || sum+own != r.Income {
		t.Fatalf("payouts %v (sum %v) + the site's %v, income %v", owed, sum, own, r.Income)
	}
	return owed
}

// TestPayoutOverRPC (issue 18): the period of TestPayout paid out through
// the simulated Stellar RPC (internal/rpcsim over HTTP), as one
// transaction of payment operations and as SAC transfers (one transaction
// each, simulated for their footprint): the transactions' amounts and the
// site's share add up exactly to the income; signed by the site's key,
// the RPC accepts each once, and each payee's balance grows by exactly
// its amount.
func TestPayoutOverRPC(t *testing.T) {
	for _, sac := range []bool{false, true} {
		name := "payment operations"
		if sac {
			name = "SAC transfers"
		}
		t.Run(name, func(t *testing.T) {
			payees := []string{spt.Key("rpc-payee-0").Address(), spt.Key("rpc-payee-1").Address(), spt.Key("rpc-payee-2").Address()}
			tpt := simledger.Asset{Code: "TPT", Issuer: rt.Issuer.Address()}
			var more []simledger.AccountSpec
			for _, p := range payees {
				more = append(more, simledger.AccountSpec{Address: p, Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "0"}}})
			}
			n := rt.StartRPC(t, more...)
			site := rt.Site.Address()
			r := fortyPayments(t, site, payees)
			owed := payoutSum(t, r, site, payees)
			acct, err := n.Client.LoadAccount(n.Context(), site)
			if err != nil {
				t.Fatal(err)
			}
			seq, _ := acct.GetSequenceNumber()
			terms := PayoutTerms{AssetIssuer: rt.Issuer.Address(), Sequence: seq}
			var txs []string
			if sac {
				txs, err = SACPayoutTransactions(n.Context(), n.Client, r, terms, Asset{Issuer: terms.AssetIssuer, Passphrase: rt.Passphrase})
			} else {
				var tx string
				tx, err = PayoutTransaction(r, terms)
				txs = []string{tx}
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: len(payees)}[sac]; len(txs) != want {
				t.Fatalf("%d transactions, want %d", len(txs), want)
			}
			var sent []string
			var sum Amount
			for _, unsigned := range txs {
				gen, err := txnbuild.TransactionFromXDR(unsigned)
				if err != nil {
					t.Fatal(err)
				}
				tx, _ := gen.Transaction()
				if len(tx.Signatures()) != 0 {
					t.Fatal("a payout transaction is signed")
				}
				sum += payoutAmount(t, tx)
				signed, err := tx.Sign(rt.Passphrase, rt.Site)
				if err != nil {
					t.Fatal(err)
				}
				env, _ := signed.Base64()
				hash, status := n.Send(env)
				if status != protocol.TransactionStatusSuccess {
					t.Fatalf("the RPC did not apply the signed payout %s: %s", hash, status)
				}
				sent = append(sent, env)
			}
			for _, p := range payees {
				if bal, _ := n.Server.Ledger.Balance(p, tpt); Amount(bal) != owed[p] {
					t.Errorf("payee %s holds %v, owed %v", p, Amount(bal), owed[p])
				}
			}
			if bal, _ := n.Server.Ledger.Balance(site, tpt); Amount(bal) != 1000*StroopsPerUnit-sum {
				t.Errorf("the site holds %v after paying %v", Amount(bal), sum)
			}
			again, err := n.Client.SendTransaction(n.Context(), protocol.SendTransactionRequest{Transaction: sent[0]})
			if err == nil && again.Status == "PENDING" {
				t.Error("the same payout was accepted twice")
			}
		})
	}
}

// payoutAmount is what one payout transaction pays: its payment
// operations' amounts, or its SAC transfer's.
func payoutAmount(t *testing.T, tx *txnbuild.Transaction) Amount {
	t.Helper()
	var sum Amount
	for _, op := range tx.Operations() {
		switch o := op.(type) {
		case *txnbuild.Payment:
			a, err := ParseAmount(o.Amount)
			if err != nil {
				t.Fatal(err)
			}
			sum += a
		case *txnbuild.InvokeHostFunction:
			if tx.Memo() != nil {
				t.Error("a SAC payout carries a memo (CAP-67 forbids it)")
			}
			args := o.HostFunction.InvokeContract.Args
			if len(args) != 3 || args[2].I128 == nil {
				t.Fatalf("not a transfer: %+v", args)
			}
			sum += Amount(int64(args[2].I128.Lo))
		default:
			t.Fatalf("operation %T", op)
		}
	}
	return sum
}
