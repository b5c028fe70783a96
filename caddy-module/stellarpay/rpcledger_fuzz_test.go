package stellarpay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzLedgerAnswers lets a hostile RPC (real HTTP on loopback) answer the
// ledger reads VerifySAC's clock and the watcher's first start make —
// getLatestLedger and getHealth — with any JSON. LedgerTime must not
// panic, refuses with ErrUnavailable or returns the sequence answered,
// never one going back; the watcher's first read starts within the
// ledgers the RPC said it holds.
func FuzzLedgerAnswers(f *testing.F) {
	f.Add(`{"id":"00","protocolVersion":23,"sequence":5}`, `{"status":"healthy","latestLedger":5,"oldestLedger":1}`)
	f.Add(`{"sequence":4294967295}`, `{"oldestLedger":4294967295}`)
	f.Add(`{"sequence":0}`, `{}`)
	f.Add(`[]`, `"x"`)
	answers := &spt.RPCAnswers{}
	srv := httptest.NewServer(answers)
	f.Cleanup(srv.Close)
	st, err := NewRPCSettler(RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase, Timeout: 2 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	f.Fuzz(func(t *testing.T, latest, health string) {
		answers.Set("getLatestLedger", latest)
		answers.Set("getHealth", health)
		answers.Set("getEvents", `{"events":[],"cursor":"","latestLedger":1}`)
		var want struct{ Sequence uint32 }
		parsed := json.Unmarshal([]byte(latest), &want) == nil
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		before := st.latest.ledger
		lt, err := st.LedgerTime(ctx, time.Now().Add(time.Hour)) // an hour on: never the cache
		switch {
		case err != nil:
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("LedgerTime refused with %v, not ErrUnavailable", err)
			}
		case !parsed || lt.Ledger != want.Sequence || lt.Ledger < before:
			t.Fatalf("LedgerTime = %d after %d, the RPC answered %s", lt.Ledger, before, latest)
		}
		st.latest.ledger = 0 // the next input starts afresh
		w, err := NewWatcher(st.RPCClient(), xdr.MustNewCreditAsset("TPT", issuer.Address()), spt.Passphrase, operator.Address(), NewRequests(), &MemoryCursor{},
			func(context.Context, Sighting) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		w.Lookback = 100
		if req, err := w.request(ctx); err == nil && (req.StartLedger == 0 || req.StartLedger > want.Sequence) {
			t.Fatalf("first read from ledger %d; latest %s, health %s", req.StartLedger, latest, health)
		}
	})
}
