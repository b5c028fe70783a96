package stellarpay

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestWatcherCursorOutsideRetention: a watcher whose saved cursor the RPC
// no longer keeps (it was stopped longer than the RPC's retention window,
// or the cursor is another network's, past the RPC's latest ledger) would
// fail on every page for ever. It must say so once (Skipped, with the
// ledger it resumes at), read on from the oldest ledger still kept (the
// latest, for a cursor from the future), credit what it can still see and
// save a cursor that works.
func TestWatcherCursorOutsideRetention(t *testing.T) {
	const retention = 4
	tests := []struct {
		name string
		// cursor makes the saved cursor from the ledger the watcher
		// last read.
		cursor func(last uint32) protocol.Cursor
		// resumeAtOldest: reading resumes at the oldest ledger kept, not
		// the latest.
		resumeAtOldest bool
	}{
		{name: "stopped longer than the window", cursor: func(last uint32) protocol.Cursor { return protocol.Cursor{Ledger: last} }, resumeAtOldest: true},
		{name: "another network's cursor", cursor: func(last uint32) protocol.Cursor { return protocol.Cursor{Ledger: last + 1_000_000} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, s := simRPC(t, sacGenesis(spt.Passphrase), rpcsim.Options{Close: -1, Retention: retention})
			c := rpcclient.NewClient(s.URL, &http.Client{Timeout: 10 * time.Second})
			defer c.Close()
			ctx := context.Background()
			send := func(memo string) {
				t.Helper()
				env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: accountSeqOf(t, l, payer) + 1, Memo: txnbuild.MemoText(memo),
					Ops: spt.Ops(spt.Pay(operator.Address(), "TPT", issuer.Address(), "1"))})
				if r, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env}); err != nil || r.Status != "PENDING" {
					t.Fatalf("send: %+v, %v", r, err)
				}
				s.CloseLedger()
			}
			last := s.CloseLedger()
			reqs := NewRequests()
			reqs.Add(Outstanding{Number: 1, Memo: "lost", Amount: 10_000_000, ExpiresAt: time.Now().Add(time.Hour)})
			reqs.Add(Outstanding{Number: 2, Memo: "kept", Amount: 10_000_000, ExpiresAt: time.Now().Add(time.Hour)})
			send("lost") // in a ledger the RPC forgets before the watcher starts
			for range retention {
				s.CloseLedger()
			}
			send("kept")
			saved := tc.cursor(last)
			cursors := &MemoryCursor{}
			cursors.SaveCursor(ctx, saved.String())
			got := &sightings{}
			w, err := NewWatcher(c, xdr.MustNewCreditAsset("TPT", issuer.Address()), spt.Passphrase, operator.Address(), reqs, cursors, got.handle)
			if err != nil {
				t.Fatal(err)
			}
			w.Lookback = 2 * retention
			var skipped []uint32
			w.Skipped = func(c protocol.Cursor, start uint32, h protocol.GetHealthResponse) {
				if c != saved {
					t.Errorf("Skipped told of cursor %v, want the saved %v", c, saved)
				}
				skipped = append(skipped, start)
			}
			var pollErr error
			for range 3 {
				if _, pollErr = w.Poll(ctx); pollErr == nil {
					break
				}
			}
			if pollErr != nil {
				t.Fatalf("the watcher never read past the stale cursor: %v", pollErr)
			}
			h, err := c.GetHealth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := h.LatestLedger
			if tc.resumeAtOldest {
				want = h.OldestLedger
			}
			if len(skipped) != 1 || skipped[0] != want {
				t.Fatalf("Skipped told %v, want once, resuming at %d (oldest %d, latest %d)", skipped, want, h.OldestLedger, h.LatestLedger)
			}
			if len(got.all) != 1 || got.all[0].Verdict != Credited || got.all[0].Request.Number != 2 {
				t.Fatalf("sightings %+v, want the payment still kept credited", got.all)
			}
			now, _ := cursors.LoadCursor(ctx)
			if cur, err := protocol.ParseCursor(now); err != nil || cur.Ledger < h.OldestLedger || cur.Ledger > h.LatestLedger+1 {
				t.Fatalf("saved cursor %q (%v), want one inside %d..%d", now, err, h.OldestLedger, h.LatestLedger+1)
			}
			if _, err := w.Poll(ctx); err != nil {
				t.Fatalf("the next page: %v", err)
			}
		})
	}
}

// TestRPCRefusesCursorOutsideRetention: the simulated RPC refuses a
// getEvents start or cursor older than its retention window, as the real
// one does (JSON-RPC invalid params), and keeps no more than the window.
func TestRPCRefusesCursorOutsideRetention(t *testing.T) {
	_, s := simRPC(t, sacGenesis(spt.Passphrase), rpcsim.Options{Close: -1, Retention: 3})
	c := rpcclient.NewClient(s.URL, &http.Client{Timeout: 10 * time.Second})
	defer c.Close()
	first := s.CloseLedger()
	for range 5 {
		s.CloseLedger()
	}
	h, err := c.GetHealth(context.Background())
	if err != nil || h.LatestLedger-h.OldestLedger+1 != 3 || h.LedgerRetentionWindow != 3 {
		t.Fatalf("health %+v, %v: want a window of 3 ledgers", h, err)
	}
	old := protocol.Cursor{Ledger: first}
	for name, req := range map[string]protocol.GetEventsRequest{
		"start":  {StartLedger: first},
		"cursor": {Pagination: &protocol.PaginationOptions{Cursor: &old}},
	} {
		req.Filters = []protocol.EventFilter{{EventType: protocol.EventTypeSet{protocol.EventTypeContract: nil}}}
		_, err := c.GetEvents(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "must be between the oldest ledger") {
			t.Errorf("%s before the window: %v, want refused", name, err)
		}
	}
}
