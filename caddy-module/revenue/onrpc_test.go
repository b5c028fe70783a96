package revenue

import (
	"errors"
	"strings"
	"testing"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"

	rt "github.com/torplus/torplus/caddy-module/revenue/revenuetest"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// TestCheckTransactionsRPC: a report's transactions are looked up over a
// real Stellar RPC API (internal/rpcsim); a classic payment and a SAC
// transfer to the site both count (by the CAP-67 events of TPT's SAC), and
// each kind of lie is found: another payee, another issuer's TPT, more
// than was paid, a failed transaction, a made-up hash.
func TestCheckTransactionsRPC(t *testing.T) {
	n := rt.StartRPC(t)
	site := rt.Site.Address()
	classic, status := n.Classic(rt.Payer, site, n.TPT, "1.5")
	if status != protocol.TransactionStatusSuccess {
		t.Fatalf("classic payment: %s", status)
	}
	viaSAC := n.Transfer(rt.Payer, site, n.TPT, 20_000_000)
	minted, _ := n.Classic(rt.Issuer, site, n.TPT, "3")
	elsewhere := n.Transfer(rt.Payer, rt.Stranger.Address(), n.TPT, 20_000_000)
	forged := n.Transfer(rt.Payer, site, n.FakeTPT, 20_000_000)
	forgedClassic, _ := n.Classic(rt.Payer, site, n.FakeTPT, "2")
	failed, status := n.Classic(rt.Payer, site, n.TPT, "1000")
	if status != protocol.TransactionStatusFailed {
		t.Fatalf("an underfunded payment: %s, want FAILED", status)
	}
	madeUp := "0" + classic[1:]
	if classic[0] == '0' {
		madeUp = "1" + classic[1:]
	}
	asset := Asset{Issuer: rt.Issuer.Address(), Passphrase: rt.Passphrase}
	report := func(txs ...Transaction) Report {
		return Report{Format: Format, Destination: site, AssetCode: "TPT", Transactions: txs}
	}
	tx := func(hash string, amount Amount) Transaction { return Transaction{TxHash: hash, Amount: amount} }
	tests := []struct {
		name  string
		r     Report
		asset Asset
		want  error
	}{
		{"a classic payment, a SAC transfer and the issuer's payment", report(tx(classic, 15_000_000), tx(viaSAC, 20_000_000), tx(minted, 30_000_000)), asset, nil},
		{"less than was paid", report(tx(viaSAC, 1)), asset, nil},
		{"more than the SAC transfer paid", report(tx(viaSAC, 20_000_001)), asset, ErrTxNotPaid},
		{"more than the classic payment paid", report(tx(classic, 15_000_001)), asset, ErrTxNotPaid},
		{"a transfer to someone else", report(tx(elsewhere, 20_000_000)), asset, ErrTxNotPaid},
		{"another issuer's TPT through its SAC", report(tx(forged, 20_000_000)), asset, ErrTxNotPaid},
		{"another issuer's TPT paid classically", report(tx(forgedClassic, 20_000_000)), asset, ErrTxNotPaid},
		{"checked against the forger's TPT", report(tx(classic, 15_000_000)), Asset{Issuer: rt.Forger.Address(), Passphrase: asset.Passphrase}, ErrTxNotPaid},
		{"checked on another network", report(tx(classic, 15_000_000)), Asset{Issuer: asset.Issuer, Passphrase: spt.Passphrase}, ErrTxNotPaid},
		{"a failed transaction", report(tx(failed, 1)), asset, ErrTxFailed},
		{"a made-up hash", report(tx(madeUp, 1)), asset, ErrTxMissing},
		{"no destination to check", Report{AssetCode: "TPT", Transactions: []Transaction{tx(classic, 1)}}, asset, ErrNoSite},
	}
	for _, tt := range tests {
		err := CheckTransactionsRPC(n.Context(), n.Client, tt.r, tt.asset)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Every problem is reported, each with its transaction.
	err := CheckTransactionsRPC(n.Context(), n.Client, report(tx(classic, 1), tx(elsewhere, 1), tx(madeUp, 1)), asset)
	for _, want := range []struct {
		hash string
		err  error
	}{{elsewhere, ErrTxNotPaid}, {madeUp, ErrTxMissing}} {
		if err == nil || !errors.Is(err, want.err) || !strings.Contains(err.Error(), want.hash+": "+want.err.Error()) {
			t.Errorf("joined errors %v do not name %s: %v", err, want.hash, want.err)
		}
	}
	if err != nil && strings.Contains(err.Error(), classic+":") {
		t.Errorf("the good transaction is named: %v", err)
	}
}
