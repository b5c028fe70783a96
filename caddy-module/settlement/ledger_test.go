package settlement_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestReplicasCreditLedgerPaymentOnce: two replicas of a zone (each its
// own connection to one database, its own Service and ledger watcher)
// see a wallet's payment to a request one of them issued. The request is
// credited once, and the payment recorded once.
func TestReplicasCreditLedgerPaymentOnce(t *testing.T) {
	srv := sacNet(t, 50*time.Millisecond, "")
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores []*store.Store
	for range 2 {
		db, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(db, 10*time.Millisecond, nil)
		t.Cleanup(func() { st.Close() })
		rpc, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rpc.Close() })
		svc := settlement.New(settlement.Config{Zone: "shared", Store: st, Backend: rpc})
		t.Cleanup(svc.Close)
		if err := svc.WatchLedger(settlement.WatchConfig{Client: rpc.RPCClient(), Asset: xdr.MustNewCreditAsset("TPT", clienttest.Issuer.Address()),
			Passphrase: spt.Passphrase, Payee: clienttest.Operator.Address(), Interval: 5 * time.Millisecond, Lookback: 100}); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, st)
	}
	o, err := stellarpay.NewOfflineSettler(clienttest.Genesis()) // for the fixture's envelope, unused here
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := (&fixture{store: stores[0], backend: o}).request(t, "shared") // issued by the first replica
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 5 * time.Second})
	defer c.Close()
	resp, err := c.SendTransaction(context.Background(), protocol.SendTransactionRequest{Transaction: sacPayment(t, srv, muxedOf(pr), int64(pr.Amount), clienttest.Payer, 100)})
	if err != nil || resp.Status != "PENDING" {
		t.Fatalf("the wallet's payment: %+v, %v", resp, err)
	}
	other := stores[1]
	var got store.PaymentRequest
	for range 500 {
		if got, err = other.PaymentRequest(context.Background(), pr.ID); err == nil && got.State == store.Paid {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got.State != store.Paid {
		t.Fatalf("request %s is %s", pr.ID, got.State)
	}
	time.Sleep(200 * time.Millisecond) // both watchers have read the ledger by now, many times over
	credits, err := other.Credits(context.Background(), "shared", got.Session)
	if err != nil || len(credits) != 1 {
		t.Fatalf("credits %+v, %v; want one", credits, err)
	}
	w, _ := other.Watch(context.Background())
	if seen, err := w.Sightings(context.Background(), "shared", "", 10); err != nil || len(seen) != 1 || seen[0].Verdict != store.SightingCredited {
		t.Fatalf("sightings %+v, %v; want one credited", seen, err)
	}
}

// TestLedgerPaymentReadAfterExpiry: a wallet's payment closed before its
// request expired, but the watcher reads it only after the request was
// marked expired (it was down): the request is reopened and credited. (One
// that closed after the expiry is late: TestLedgerPaymentsShortLateUnmatched.)
func TestLedgerPaymentReadAfterExpiry(t *testing.T) {
	srv := sacNet(t, 20*time.Millisecond, "")
	f := newFixture(t)
	inTime, _ := f.request(t, "late")
	ctx := context.Background()
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 5 * time.Second})
	defer c.Close()
	resp, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: sacPayment(t, srv, muxedOf(inTime), int64(inTime.Amount), clienttest.Payer, 100)})
	if err != nil || resp.Status != "PENDING" {
		t.Fatalf("the wallet's payment: %+v, %v", resp, err)
	}
	for i := 0; ; i++ {
		got, err := c.GetTransaction(ctx, protocol.GetTransactionRequest{Hash: resp.Hash})
		if err == nil && got.Status == protocol.TransactionStatusSuccess {
			break
		}
		if i > 500 {
			t.Fatalf("the payment never landed: %+v, %v", got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n, err := f.store.ExpirePending(ctx, inTime.ExpiresAt.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("ExpirePending: %d, %v", n, err)
	}
	rpc, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rpc.Close() })
	svc := settlement.New(settlement.Config{Zone: "late", Store: f.store, Backend: rpc})
	t.Cleanup(svc.Close)
	if err := svc.WatchLedger(settlement.WatchConfig{Client: rpc.RPCClient(), Asset: xdr.MustNewCreditAsset("TPT", clienttest.Issuer.Address()),
		Passphrase: spt.Passphrase, Payee: clienttest.Operator.Address(), Interval: 5 * time.Millisecond, Lookback: 1000}); err != nil {
		t.Fatal(err)
	}
	var got store.PaymentRequest
	for range 500 {
		if got, err = f.store.PaymentRequest(ctx, inTime.ID); err == nil && got.State == store.Paid {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got.State != store.Paid {
		t.Fatalf("a payment in time, read after the expiry: request %s", got.State)
	}
}
