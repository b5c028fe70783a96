package revenue

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/horizonsim"
)

// submit pays amount TPT from the payer to dest on hz's ledger and
// returns the transaction's hash.
func submit(t *testing.T, hz *horizonsim.Server, dest, amount string) string {
	t.Helper()
	acct, err := hz.Ledger.Account(clienttest.Payer.Address())
	if err != nil {
		t.Fatal(err)
	}
	env := spt.MustEnvelope(t, spt.Tx{Source: clienttest.Payer, Sequence: acct.Sequence + 1,
		Ops: []txnbuild.Operation{spt.Pay(dest, "TPT", clienttest.Issuer.Address(), amount)}})
	res, _, err := hz.Ledger.Submit(env)
	if err != nil {
		t.Fatal(err)
	}
	return res.Hash
}

// TestCheckTransactions: a report's transactions are looked up on a real
// Horizon API (internal/horizonsim over HTTP); each kind of lie is found.
func TestCheckTransactions(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	site := clienttest.Operator.Address()
	good1 := submit(t, hz, site, "1.5")
	good2 := submit(t, hz, site, "0.0000001")
	elsewhere := submit(t, hz, clienttest.Broke.Address(), "1.5")
	madeUp := "0" + good1[1:]
	if good1[0] == '0' {
		madeUp = "1" + good1[1:]
	}
	client := &horizonclient.Client{HorizonURL: hz.URL, HTTP: http.DefaultClient}
	report := func(asset string, txs ...Transaction) Report {
		return Report{Format: Format, Destination: site, AssetCode: asset, Transactions: txs}
	}
	tests := []struct {
		name string
		r    Report
		want error
	}{
		{"every transaction paid the site", report("TPT", Transaction{TxHash: good1, Amount: 15_000_000}, Transaction{TxHash: good2, Amount: 1}), nil},
		{"an amount larger than paid", report("TPT", Transaction{TxHash: good1, Amount: 15_000_001}), ErrTxNotPaid},
		{"a transaction that paid someone else", report("TPT", Transaction{TxHash: elsewhere, Amount: 15_000_000}), ErrTxNotPaid},
		{"another asset", report("XLM", Transaction{TxHash: good1, Amount: 1}), ErrTxNotPaid},
		{"a made-up hash", report("TPT", Transaction{TxHash: madeUp, Amount: 1}), ErrTxMissing},
		{"no destination to check", Report{Transactions: []Transaction{{TxHash: good1}}}, ErrNoSite},
	}
	for _, tt := range tests {
		err := CheckTransactions(context.Background(), client, tt.r)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
