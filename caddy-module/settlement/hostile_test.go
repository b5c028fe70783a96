package settlement_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestHostileRPCCreditsNothing: a hostile Stellar RPC (real HTTP on
// loopback) reports the payment's transaction successful with another
// transaction's envelope, and shows the ledger watcher transfers naming
// the request that are to another account, of another asset (its own
// contract or TPT's contract with another asset's name) or in a failed
// call. Nothing is credited, and nothing is recorded as seen.
func TestHostileRPCCreditsNothing(t *testing.T) {
	f := newFixture(t)
	answers := &spt.RPCAnswers{}
	srv := httptest.NewServer(answers)
	t.Cleanup(srv.Close)
	rpc, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase,
		Timeout: time.Second, Poll: time.Millisecond, Wait: 10 * time.Millisecond, Backoff: stellarpay.Backoff{Attempts: 2, Initial: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rpc.Close() })
	s := f.service(t, "hostile", rpc)
	pr, env := f.request(t, "hostile")

	// The payment: sent, then "found" with the envelope of another transaction.
	pay, err := stellarpay.Verify(env, &pr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, other := f.request(t, "hostile")
	ok, _ := xdr.MarshalBase64(xdr.TransactionResult{Result: xdr.TransactionResultResult{Code: xdr.TransactionResultCodeTxSuccess, Results: &[]xdr.OperationResult{}}})
	answers.Set("sendTransaction", `{"status":"PENDING","hash":"`+pay.HashHex()+`","latestLedger":4,"latestLedgerCloseTime":"1"}`)
	answers.Set("getTransaction", `{"status":"SUCCESS","txHash":"`+pay.HashHex()+`","ledger":5,"envelopeXdr":"`+other+`","resultXdr":"`+ok+`","latestLedger":5,"latestLedgerCloseTime":"1","oldestLedger":1,"oldestLedgerCloseTime":"1","createdAt":"1"}`)
	if _, err := s.Pay(context.Background(), env, nil, "client"); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("Pay with a lying RPC: %v, want ErrUnavailable (outcome unknown)", err)
	}

	// The watcher: every transfer names a second request, none pays it.
	pr2, _ := f.request(t, "hostile")
	asset := xdr.MustNewCreditAsset("TPT", clienttest.Issuer.Address())
	fake := xdr.MustNewCreditAsset("TPT", clienttest.Payer.Address())
	tpt, _ := sac.ContractID(asset, spt.Passphrase)
	fakeID, _ := sac.ContractID(fake, spt.Passphrase)
	payer, _ := sac.ParseAddress(clienttest.Payer.Address())
	payee, _ := sac.ParseAddress(clienttest.Operator.Address())
	stranger, _ := sac.ParseAddress(clienttest.Broke.Address())
	dest := &sac.DestinationID{Kind: sac.DestID, ID: pr2.ID.Number()}
	transfer := func(contract [32]byte, to sac.Address, asset string) sac.Event {
		return sac.Event{Type: sac.EventTransfer, Contract: contract, From: payer, To: to, Amount: int64(pr2.Amount), Asset: asset, Dest: dest}
	}
	failed := spt.EventsAnswer(tpt, transfer(tpt, payee, asset.StringCanonical()), [32]byte{4})
	failed = strings.Replace(failed, `"inSuccessfulContractCall":true`, `"inSuccessfulContractCall":false`, 1)
	answers.Set("getLatestLedger", `{"id":"00","protocolVersion":23,"sequence":5}`)
	if err := s.WatchLedger(settlement.WatchConfig{Client: rpc.RPCClient(), Asset: asset, Passphrase: spt.Passphrase,
		Payee: clienttest.Operator.Address(), Interval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	poll := func(events string) {
		answers.Set("getEvents", events)
		for n := answers.Calls("getEvents"); answers.Calls("getEvents") < n+3; {
			time.Sleep(time.Millisecond) // the watcher polls every millisecond
		}
	}
	for _, events := range []string{
		spt.EventsAnswer(tpt, transfer(tpt, stranger, asset.StringCanonical()), [32]byte{1}),
		spt.EventsAnswer(fakeID, transfer(fakeID, payee, fake.StringCanonical()), [32]byte{2}),
		spt.EventsAnswer(tpt, transfer(tpt, payee, fake.StringCanonical()), [32]byte{3}),
		failed,
	} {
		poll(events)
	}
	w, _ := f.store.Watch(context.Background())
	if seen, err := w.Sightings(context.Background(), "hostile", "", 10); err != nil || len(seen) != 0 {
		t.Fatalf("recorded %+v, %v", seen, err)
	}
	// The honest event, for contrast, credits the second request.
	poll(spt.EventsAnswer(tpt, transfer(tpt, payee, asset.StringCanonical()), [32]byte{5}))
	s.Close()
	for id, want := range map[payreq.ID]store.State{pr.ID: store.Settling, pr2.ID: store.Paid} {
		if got, err := f.store.PaymentRequest(context.Background(), id); err != nil || got.State != want {
			t.Fatalf("request %s: %s, %v; want %s", id, got.State, err, want)
		}
	}
}
