package stellarpay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzEventsAnswer lets a hostile RPC (over real HTTP on loopback, read by
// the SDK's rpcclient) answer the watcher's getEvents with any JSON. Poll
// must not panic; every sighting it reports is a positive transfer whose
// event named the payee, the asset and its SAC; only a matching request
// is credited.
func FuzzEventsAnswer(f *testing.F) {
	asset := xdr.MustNewCreditAsset("TPT", issuer.Address())
	contract, _ := sac.ContractID(asset, spt.Passphrase)
	from, _ := sac.ParseAddress(payer.Address())
	to, _ := sac.ParseAddress(operator.Address())
	event := func(dst sac.Address, amount int64, d *sac.DestinationID) string {
		return spt.EventsAnswer(contract, sac.Event{Type: sac.EventTransfer, Contract: contract, From: from, To: dst,
			Amount: amount, Asset: asset.StringCanonical(), Dest: d}, [32]byte{31: 7})
	}
	f.Add(event(to, 25_000_000, &sac.DestinationID{Kind: sac.DestID, ID: 42}))
	f.Add(event(from, 25_000_000, &sac.DestinationID{Kind: sac.DestID, ID: 42}))
	f.Add(event(to, 1, &sac.DestinationID{Kind: sac.DestText, Text: "r1"}))
	f.Add(`{"events":[],"cursor":"x"}`)
	f.Add(`{"events":[{}],"cursor":"0000000025769803776-0000000000"}`)
	answers := &spt.RPCAnswers{}
	srv := httptest.NewServer(answers)
	f.Cleanup(srv.Close)
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 2 * time.Second})
	f.Cleanup(func() { _ = c.Close() })
	f.Fuzz(func(t *testing.T, body string) {
		answers.Set("getEvents", body)
		answers.Set("getLatestLedger", `{"id":"00","protocolVersion":23,"sequence":5}`)
		reqs := NewRequests()
		reqs.Add(Outstanding{Number: 42, Amount: 25_000_000, ExpiresAt: time.Now().Add(time.Hour)})
		w, err := NewWatcher(c, asset, spt.Passphrase, operator.Address(), reqs, &MemoryCursor{}, func(_ context.Context, s Sighting) error {
			if s.Amount <= 0 || (s.Verdict == Credited && (s.Request.Number != 42 || s.Amount < 25_000_000)) {
				t.Fatalf("sighting %+v", s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = w.Poll(ctx)
	})
}
