package rpcsim

import (
	"errors"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// TestGoClientPaysThroughSAC drives the official Go client through a SAC
// payment: simulate, sign the auth entry, send, wait for the ledger to
// close, read the result, the balance and the event.
func TestGoClientPaysThroughSAC(t *testing.T) {
	s, c := start(t, -1)
	cx := ctx(t)
	if h, err := c.GetHealth(cx); err != nil || h.Status != "healthy" {
		t.Fatalf("getHealth = %+v, %v", h, err)
	}
	if n, err := c.GetNetwork(cx); err != nil || n.Passphrase != network.TestNetworkPassphrase {
		t.Fatalf("getNetwork = %+v, %v", n, err)
	}
	contract := s.Ledger.ContractID(tpt)
	env, sent := sendTransfer(t, s, c)
	if again, _ := c.SendTransaction(cx, protocol.SendTransactionRequest{Transaction: env}); again.Status != "DUPLICATE" {
		t.Errorf("resending: %s, want DUPLICATE", again.Status)
	}
	if got, _ := c.GetTransaction(cx, protocol.GetTransactionRequest{Hash: sent.Hash}); got.Status != protocol.TransactionStatusNotFound {
		t.Errorf("before the close: %s, want NOT_FOUND", got.Status)
	}
	closed := s.CloseLedger()
	got, err := c.GetTransaction(cx, protocol.GetTransactionRequest{Hash: sent.Hash})
	if err != nil || got.Status != protocol.TransactionStatusSuccess || got.Ledger != closed || got.TransactionHash != sent.Hash {
		t.Fatalf("getTransaction = %+v, %v", got, err)
	}
	var meta xdr.TransactionMeta
	if err := xdr.SafeUnmarshalBase64(got.ResultMetaXDR, &meta); err != nil || meta.V != 4 {
		t.Fatalf("resultMetaXdr: %v (v%d)", err, meta.V)
	}
	if bal, _ := s.Ledger.Balance(operator.Address(), tpt); bal != 25_000_000 {
		t.Errorf("operator holds %d, want 25000000", bal)
	}
	evs, err := c.GetEvents(cx, protocol.GetEventsRequest{StartLedger: closed,
		Filters: []protocol.EventFilter{{ContractIDs: []string{strkey.MustEncode(strkey.VersionByteContract, contract[:])}}}})
	if err != nil || len(evs.Events) != 1 {
		t.Fatalf("getEvents = %+v, %v", evs, err)
	}
	ev := decodeEvent(t, evs.Events[0])
	if ev.Type != sac.EventTransfer || ev.Amount != 25_000_000 || ev.To != address(t, operator.Address()) || ev.Dest == nil || ev.Dest.ID != 77 {
		t.Errorf("event = %+v", ev)
	}
	// Paging on from the returned cursor finds nothing new.
	cur, _ := protocol.ParseCursor(evs.Cursor)
	next, err := c.GetEvents(cx, protocol.GetEventsRequest{Pagination: &protocol.PaginationOptions{Cursor: &cur}})
	if err != nil || len(next.Events) != 0 {
		t.Errorf("next page = %+v, %v", next, err)
	}
}

// sendTransfer sends the payer's SAC transfer of 2.5 TPT to the operator's
// muxed address (id 77), the fee account paying the fee, and returns its
// envelope and sendTransaction's answer (PENDING).
func sendTransfer(t *testing.T, s *Server, c *rpcclient.Client) (string, protocol.SendTransactionResponse) {
	t.Helper()
	cx := ctx(t)
	muxed := address(t, operator.Address())
	muxed.Muxed, muxed.ID = true, 77
	call := sac.Transfer{Contract: s.Ledger.ContractID(tpt), From: address(t, payer.Address()), To: muxed, Amount: 25_000_000}.Args()
	w := Wallet{Client: c, Passphrase: network.TestNetworkPassphrase}
	p, err := w.Prepare(cx, feeKey.Address(), call, payer, 20)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.Envelope(cx, feeKey, call, p)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := c.SendTransaction(cx, protocol.SendTransactionRequest{Transaction: env})
	if err != nil || sent.Status != "PENDING" {
		t.Fatalf("sendTransaction = %+v, %v", sent, err)
	}
	return env, sent
}

// TestGetTransactionOutsideRetention: a transaction in a ledger the RPC's
// retention window has passed is NOT_FOUND, as the real RPC answers, with
// the oldest ledger it keeps, which is later than the transaction's.
func TestGetTransactionOutsideRetention(t *testing.T) {
	s, c := startWith(t, Options{Close: -1, Retention: 3})
	cx := ctx(t)
	_, sent := sendTransfer(t, s, c)
	in := s.CloseLedger()
	for n := 1; n <= 3; n++ {
		got, err := c.GetTransaction(cx, protocol.GetTransactionRequest{Hash: sent.Hash})
		if err != nil || got.Status != protocol.TransactionStatusSuccess || got.Ledger != in {
			t.Fatalf("%d ledger(s) in the window: %+v, %v", n, got, err)
		}
		s.CloseLedger()
	}
	got, err := c.GetTransaction(cx, protocol.GetTransactionRequest{Hash: sent.Hash})
	if err != nil || got.Status != protocol.TransactionStatusNotFound || got.OldestLedger <= in {
		t.Fatalf("past the window: %+v, %v; want NOT_FOUND with an oldest ledger after %d", got, err, in)
	}
}

func decodeEvent(t *testing.T, e protocol.EventInfo) sac.Event {
	t.Helper()
	topics := make([]xdr.ScVal, len(e.TopicXDR))
	for i, b := range e.TopicXDR {
		if err := xdr.SafeUnmarshalBase64(b, &topics[i]); err != nil {
			t.Fatal(err)
		}
	}
	var data xdr.ScVal
	if err := xdr.SafeUnmarshalBase64(e.ValueXDR, &data); err != nil {
		t.Fatal(err)
	}
	raw, _ := strkey.Decode(strkey.VersionByteContract, e.ContractID)
	ev, err := sac.ParseEvent([32]byte(raw), topics, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestSendTransactionRefusals checks what sendTransaction answers for
// transactions a node refuses or defers, and which result code it gives.
func TestSendTransactionRefusals(t *testing.T) {
	s, c := start(t, -1)
	cx := ctx(t)
	call := sac.Transfer{Contract: s.Ledger.ContractID(tpt), From: address(t, payer.Address()), To: address(t, operator.Address()), Amount: 1}.Args()
	w := Wallet{Client: c, Passphrase: network.TestNetworkPassphrase}
	p, err := w.Prepare(cx, feeKey.Address(), call, payer, 20)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := w.Envelope(cx, feeKey, call, p)
	tests := []struct {
		name   string
		env    func() string
		status string
		code   xdr.TransactionResultCode
	}{
		{name: "accepted", env: func() string { return first }, status: "PENDING"},
		{name: "second from the same source", status: "TRY_AGAIN_LATER", env: func() string {
			p2, _ := w.Prepare(cx, feeKey.Address(), call, payer, 20)
			e, _ := w.Envelope(cx, feeKey, call, p2)
			return e
		}},
		{name: "not signed by its source", status: "ERROR", code: xdr.TransactionResultCodeTxBadAuth, env: func() string {
			signed, _ := w.Envelope(cx, payer, call, p) // then its signature taken off
			var e xdr.TransactionEnvelope
			if err := xdr.SafeUnmarshalBase64(signed, &e); err != nil {
				t.Fatal(err)
			}
			e.V1.Signatures = nil
			out, _ := xdr.MarshalBase64(e)
			return out
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.SendTransaction(cx, protocol.SendTransactionRequest{Transaction: tc.env()})
			if err != nil || r.Status != tc.status {
				t.Fatalf("sendTransaction = %+v, %v; want %s", r, err, tc.status)
			}
			if tc.status != "ERROR" {
				return
			}
			var res xdr.TransactionResult
			if err := xdr.SafeUnmarshalBase64(r.ErrorResultXDR, &res); err != nil || res.Result.Code != tc.code {
				t.Errorf("errorResultXdr = %v, %v; want %s", res.Result.Code, err, tc.code)
			}
		})
	}
	if _, err := c.SendTransaction(cx, protocol.SendTransactionRequest{Transaction: "not xdr"}); err == nil {
		t.Error("an undecodable envelope was accepted")
	}
}

// TestLedgersCloseOnTheClock checks that ledgers advance by themselves.
func TestLedgersCloseOnTheClock(t *testing.T) {
	_, c := start(t, 20*time.Millisecond)
	cx := ctx(t)
	first, err := c.GetLatestLedger(cx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		l, err := c.GetLatestLedger(cx)
		if err != nil {
			t.Fatal(err)
		}
		if l.Sequence > first.Sequence {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(errors.New("no ledger closed in 5 s with a 20 ms clock"))
}
