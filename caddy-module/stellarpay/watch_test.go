package stellarpay

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// sightings collects what a watcher reports.
type sightings struct {
	mu  sync.Mutex
	all []Sighting
}

func (s *sightings) handle(_ context.Context, x Sighting) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, x)
	return nil
}

func muxed(kp *keypair.Full, id uint64) string {
	a, _ := sac.ParseAddress(kp.Address())
	a.Muxed, a.ID = true, id
	return a.String()
}

// TestWatcherSeesWalletPayments pays the payee the ways wallets do —
// classic payments to a muxed address or with a memo, a SAC transfer to a
// muxed address — through the simulated RPC, and checks what the watcher
// reports for each: credited once, short, late, unmatched; payments to
// someone else are not reported; a restart from the saved cursor reports
// nothing twice.
func TestWatcherSeesWalletPayments(t *testing.T) {
	l, s := simRPC(t, sacGenesis(spt.Passphrase), rpcsim.Options{Close: -1})
	c := rpcclient.NewClient(s.URL, &http.Client{Timeout: 10 * time.Second})
	defer c.Close()
	ctx := context.Background()
	reqs := NewRequests()
	now := time.Now()
	reqs.Add(Outstanding{Number: 42, Amount: 25_000_000, ExpiresAt: now.Add(time.Hour)})
	reqs.Add(Outstanding{Number: 43, Amount: 25_000_000, ExpiresAt: now.Add(time.Hour)})
	reqs.Add(Outstanding{Number: 44, Memo: "r44", Amount: 10_000_000, ExpiresAt: now.Add(-time.Minute)})
	cursors := &MemoryCursor{}
	got := &sightings{}
	asset := xdr.MustNewCreditAsset("TPT", issuer.Address())
	w, err := NewWatcher(c, asset, spt.Passphrase, operator.Address(), reqs, cursors, got.handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Poll(ctx); err != nil { // the first start: from the latest ledger on
		t.Fatal(err)
	}
	send := func(from *keypair.Full, dest, amt string, memo txnbuild.Memo) {
		t.Helper()
		env := spt.MustEnvelope(t, spt.Tx{Source: from, Sequence: accountSeqOf(t, l, from) + 1, Memo: memo,
			Ops: spt.Ops(spt.Pay(dest, "TPT", issuer.Address(), amt))})
		if r, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env}); err != nil || r.Status != "PENDING" {
			t.Fatalf("send: %+v, %v", r, err)
		}
		s.CloseLedger()
	}
	send(payer, muxed(operator, 42), "2.5", nil)                   // credited
	send(payer, muxed(operator, 42), "2.5", nil)                   // the request is paid: unmatched
	send(payer, operator.Address(), "1", txnbuild.MemoText("r44")) // late
	send(payer, operator.Address(), "1", nil)                      // no memo: unmatched
	send(payer, muxed(stranger, 43), "2.5", nil)                   // someone else's: not reported
	w2 := rpcsim.Wallet{Client: c, Passphrase: spt.Passphrase}     // a SAC transfer to M…(43), short
	to, _ := sac.ParseAddress(muxed(operator, 43))
	from, _ := sac.ParseAddress(stranger.Address())
	call := sac.Transfer{Contract: l.ContractID(tptAsset), From: from, To: to, Amount: 1_000_000}.Args()
	p, err := w2.Prepare(ctx, feeKey.Address(), call, stranger, 20)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w2.Envelope(ctx, feeKey, call, p)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env}); err != nil || r.Status != "PENDING" {
		t.Fatalf("send: %+v, %v", r, err)
	}
	s.CloseLedger()

	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		verdict string
		request uint64
		amount  int64
	}{{Credited, 42, 25_000_000}, {Unmatched, 0, 25_000_000}, {Late, 44, 10_000_000}, {Unmatched, 0, 10_000_000}, {Short, 43, 1_000_000}}
	if len(got.all) != len(want) {
		t.Fatalf("sightings = %+v, want %d", got.all, len(want))
	}
	for i, w := range want {
		g := got.all[i]
		if g.Verdict != w.verdict || g.Request.Number != w.request || g.Amount != w.amount {
			t.Errorf("sighting %d = %s of request %d for %d, want %s of %d for %d", i, g.Verdict, g.Request.Number, g.Amount, w.verdict, w.request, w.amount)
		}
	}
	if reqs.Len() != 2 {
		t.Errorf("%d requests outstanding, want 2 (43 short, 44 late)", reqs.Len())
	}
	// A restart resumes from the saved cursor: nothing is reported twice.
	again := &sightings{}
	w3, _ := NewWatcher(c, asset, spt.Passphrase, operator.Address(), reqs, cursors, again.handle)
	if _, err := w3.Poll(ctx); err != nil || len(again.all) != 0 {
		t.Fatalf("after a restart: %+v, %v", again.all, err)
	}
	// A first start without a cursor reads from the latest ledger (which
	// holds the short SAC transfer), or from Lookback ledgers before it.
	for lookback, n := range map[uint32]int{0: 1, 100: len(want)} {
		first := &sightings{}
		w4, _ := NewWatcher(c, asset, spt.Passphrase, operator.Address(), reqs, &MemoryCursor{}, first.handle)
		w4.Lookback = lookback
		if _, err := w4.Poll(ctx); err != nil || len(first.all) != n {
			t.Fatalf("first start with lookback %d: %d sightings, %v; want %d", lookback, len(first.all), err, n)
		}
	}
}

func accountSeqOf(t *testing.T, l *simledger.Ledger, kp *keypair.Full) int64 {
	t.Helper()
	a, err := l.Account(kp.Address())
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}
