package settlement_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestSACSettlementFinishedAfterCrash: a token-contract payment is sent
// (rebuilt with the fee account as source) and the Service stops before
// its ledger closes, losing the payment it held. The request stays
// settling under the payment's replay key; the next Service finds the
// transaction sent for it (recorded before sending) once it landed, and
// credits it, once.
func TestSACSettlementFinishedAfterCrash(t *testing.T) {
	f := newFixture(t)
	fee := spt.Key("fee")
	tpt := clienttest.TPT
	g := clienttest.Genesis()
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: fee.Address(), Balance: "100"})
	g.AssetContracts = []simledger.Asset{tpt}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpcsim.Start(l, rpcsim.Options{Close: -1}) // ledgers close when the test says
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	var svc *settlement.Service
	settler := func() *stellarpay.RPCSettler {
		r, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: fee,
			Timeout: 2 * time.Second, Poll: 5 * time.Millisecond, Wait: 50 * time.Millisecond, Backoff: stellarpay.Backoff{Attempts: 1},
			OnSubmit: func(p *stellarpay.Payment, h string) error { return svc.RecordSubmission(p, h) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	svc = settlement.New(settlement.Config{Zone: "crash", Store: f.store, Backend: settler(), Timeout: time.Second})
	pr, _ := f.request(t, "crash")
	env := sacPayment(t, srv, pr)
	before, _ := l.Balance(clienttest.Operator.Address(), tpt)
	if _, err := svc.Pay(context.Background(), env, nil, "client"); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("Pay before any ledger closed: %v, want ErrUnavailable", err)
	}
	svc.Close() // the crash: the payment held for retries is gone
	srv.CloseLedger()
	svc = settlement.New(settlement.Config{Zone: "crash", Store: f.store, Backend: settler(), Timeout: time.Second})
	t.Cleanup(svc.Close)
	var got store.PaymentRequest
	for range 500 {
		if got, err = f.store.PaymentRequest(context.Background(), pr.ID); err == nil && got.State == store.Paid {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	after, _ := l.Balance(clienttest.Operator.Address(), tpt)
	if got.State != store.Paid || after-before != int64(pr.Amount) {
		t.Fatalf("request %s after the restart: %s; payee received %d", pr.ID, got.State, after-before)
	}
}

// sacPayment is the payer's SAC transfer of pr's amount to pr's muxed
// destination, built as a payment client does (rpcsim.Wallet).
func sacPayment(t *testing.T, srv *rpcsim.Server, pr payreq.Request) string {
	t.Helper()
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 5 * time.Second})
	defer c.Close()
	from, _ := sac.ParseAddress(clienttest.Payer.Address())
	to, err := sac.ParseAddress(payreq.MuxedAddress(pr.Destination, pr.ID.Number()))
	if err != nil {
		t.Fatal(err)
	}
	call := sac.Transfer{Contract: srv.Ledger.ContractID(clienttest.TPT), From: from, To: to, Amount: int64(pr.Amount)}.Args()
	w := rpcsim.Wallet{Client: c, Passphrase: spt.Passphrase}
	ctx := context.Background()
	p, err := w.Prepare(ctx, clienttest.Broke.Address(), call, clienttest.Payer, 10)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.Envelope(ctx, clienttest.Broke, call, p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
