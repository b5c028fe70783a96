package stellarpay

import (
	"context"
	"fmt"
	"testing"
	"time"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// BenchmarkWatcherMatch matches pages of getEvents answers (base64 XDR
// topics and values, as the RPC sends them) against 100,000 outstanding
// requests and reports events/s (target ≥ 10,000).
func BenchmarkWatcherMatch(b *testing.B) {
	const outstanding, page = 100_000, 1000
	asset := xdr.MustNewCreditAsset("TPT", issuer.Address())
	reqs := NewRequests()
	far := time.Now().Add(time.Hour)
	for i := range outstanding {
		reqs.Add(Outstanding{Number: uint64(i), Memo: fmt.Sprintf("r%d", i), Amount: 1, ExpiresAt: far})
	}
	w, err := NewWatcher(nil, asset, spt.Passphrase, operator.Address(), reqs, &MemoryCursor{}, func(context.Context, Sighting) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	from, _ := sac.ParseAddress(payer.Address())
	events := make([]protocol.EventInfo, page)
	for i := range events {
		// Unmatched numbers past the table, so no request is consumed and
		// every page does the same work.
		dest := &sac.DestinationID{Kind: sac.DestID, ID: uint64(outstanding + i)}
		if i%2 == 1 {
			dest = &sac.DestinationID{Kind: sac.DestText, Text: fmt.Sprintf("x%d", i)}
		}
		ce := sac.Event{Type: sac.EventTransfer, Contract: w.Contract, From: from, To: sac.Account(w.Payee),
			Amount: 2, Asset: w.Asset, Dest: dest}.ContractEvent()
		c := protocol.Cursor{Ledger: 10, Tx: uint32(i + 1)}
		e := protocol.EventInfo{EventType: protocol.EventTypeContract, Ledger: 10, LedgerClosedAt: time.Now().UTC().Format(time.RFC3339),
			ContractID: strkey.MustEncode(strkey.VersionByteContract, w.Contract[:]), ID: c.String(),
			TransactionHash: fmt.Sprintf("%064x", i), InSuccessfulContractCall: true}
		for _, t := range ce.Body.V0.Topics {
			s, _ := xdr.MarshalBase64(t)
			e.TopicXDR = append(e.TopicXDR, s)
		}
		e.ValueXDR, _ = xdr.MarshalBase64(ce.Body.V0.Data)
		events[i] = e
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		w.seen = nil // every page anew, as if never seen
		if _, err := w.handle(ctx, events, protocol.Cursor{Ledger: 11}); err != nil {
			b.Fatal(err)
		}
		n += page
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}
