package settlement_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
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
	srv := sacNet(t, -1, "") // ledgers close when the test says
	l, tpt := srv.Ledger, clienttest.TPT
	var svc *settlement.Service
	svc = settlement.New(settlement.Config{Zone: "crash", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: time.Second})
	pr, _ := f.request(t, "crash")
	env := sacPayment(t, srv, muxedOf(pr), int64(pr.Amount), clienttest.Broke, 10) // 50 s to the verifier, within the request's minute
	before, _ := l.Balance(clienttest.Operator.Address(), tpt)
	if _, err := svc.Pay(context.Background(), env, nil, "client"); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("Pay before any ledger closed: %v, want ErrUnavailable", err)
	}
	svc.Close() // the crash: the payment held for retries is gone
	srv.CloseLedger()
	svc = settlement.New(settlement.Config{Zone: "crash", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: time.Second})
	t.Cleanup(svc.Close)
	var got store.PaymentRequest
	var err error
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

// TestSACSettlementOutsideRPCWindowStaysOpen: as above, but the next
// Service starts after the RPC's retention window has passed the
// transaction's ledger, and past the request's expiry. The transaction
// landed (the payee has the money), the RPC answers NOT_FOUND: that proves
// nothing, so the request is not released — it stays settling, and the
// owner is told, once.
func TestSACSettlementOutsideRPCWindowStaysOpen(t *testing.T) {
	f := newFixture(t)
	srv := sacNetWith(t, rpcsim.Options{Close: -1, Retention: 3}, "")
	l, tpt := srv.Ledger, clienttest.TPT
	var svc *settlement.Service
	svc = settlement.New(settlement.Config{Zone: "gone", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: time.Second})
	pr, _ := f.request(t, "gone")
	env := sacPayment(t, srv, muxedOf(pr), int64(pr.Amount), clienttest.Broke, 10)
	before, _ := l.Balance(clienttest.Operator.Address(), tpt)
	if _, err := svc.Pay(context.Background(), env, nil, "client"); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("Pay before any ledger closed: %v, want ErrUnavailable", err)
	}
	svc.Close()
	srv.CloseLedger() // the transaction lands …
	for range 4 {
		srv.CloseLedger() // … and leaves the RPC's 3-ledger window
	}
	core, logs := observer.New(zap.ErrorLevel)
	later := func() time.Time { return time.Now().Add(2 * time.Minute) } // past the request's expiry
	svc = settlement.New(settlement.Config{Zone: "gone", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: time.Second,
		Now: later, Log: zap.New(core)})
	t.Cleanup(svc.Close)
	said := func() int {
		return logs.FilterMessageSnippet("cannot tell whether a settlement's transaction landed").Len()
	}
	for i := 0; i < 500 && said() == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	svc.Close() // its passes are over: the state read below is final
	got, err := f.store.PaymentRequest(context.Background(), pr.ID)
	after, _ := l.Balance(clienttest.Operator.Address(), tpt)
	if err != nil || got.State != store.Settling || after-before != int64(pr.Amount) || said() != 1 {
		t.Fatalf("request %s: %s (%v); payee received %d; told the owner %d times: want settling, the amount, once",
			pr.ID, got.State, err, after-before, said())
	}
}

// sacPayment is the payer's SAC transfer of amount to "to", as a payment
// client builds it (source another account: the payer's authorization is
// an address credential) or, with source the payer, as a wallet sends it
// itself; signed for ledgers ledgers. edit, if given, changes the
// prepared call before its envelope is made.
func sacPayment(t testing.TB, srv *rpcsim.Server, to string, amount int64, source *keypair.Full, ledgers uint32, edit ...func(*rpcsim.Prepared)) string {
	t.Helper()
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 5 * time.Second})
	defer c.Close()
	from, _ := sac.ParseAddress(clienttest.Payer.Address())
	dest, err := sac.ParseAddress(to)
	if err != nil {
		t.Fatal(err)
	}
	call := sac.Transfer{Contract: srv.Ledger.ContractID(clienttest.TPT), From: from, To: dest, Amount: amount}.Args()
	w := rpcsim.Wallet{Client: c, Passphrase: spt.Passphrase}
	ctx := context.Background()
	p, err := w.Prepare(ctx, source.Address(), call, clienttest.Payer, ledgers)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edit {
		e(p)
	}
	env, err := w.Envelope(ctx, source, call, p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// muxedOf is pr's muxed destination.
func muxedOf(pr payreq.Request) string { return payreq.MuxedAddress(pr.Destination, pr.ID.Number()) }
