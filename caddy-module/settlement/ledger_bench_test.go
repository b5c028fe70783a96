package settlement_test

import (
	"context"
	"net/http"
	"sort"
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

// BenchmarkLedgerCreditLatency: a wallet sends a payment to a request's
// muxed address straight to the simulated RPC (a ledger closes every
// 200 ms); the zone's ledger watcher (20 ms interval) sees it and credits
// the request through the store. It reports the median time from the
// wallet's sendTransaction to the credit, less one ledger close
// ("ms-over-close"; target ≤ 50: the next close, then one read).
func BenchmarkLedgerCreditLatency(b *testing.B) {
	const closeEvery = 200 * time.Millisecond
	f := newFixture(b)
	srv := sacNet(b, closeEvery, "1000000") // the payer: enough TPT for any b.N
	rpc, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase})
	if err != nil {
		b.Fatal(err)
	}
	defer rpc.Close()
	svc := settlement.New(settlement.Config{Zone: "bench", Store: f.store, Backend: rpc})
	defer svc.Close()
	if err := svc.WatchLedger(settlement.WatchConfig{Client: rpc.RPCClient(), Asset: xdr.MustNewCreditAsset("TPT", clienttest.Issuer.Address()),
		Passphrase: spt.Passphrase, Payee: clienttest.Operator.Address(), Interval: 20 * time.Millisecond}); err != nil {
		b.Fatal(err)
	}
	c := rpcclient.NewClient(srv.URL, &http.Client{Timeout: 5 * time.Second})
	defer c.Close()
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		pr, _ := f.request(b, "bench")
		env := sacPayment(b, srv, muxedOf(pr), int64(pr.Amount), clienttest.Payer, 100)
		b.StartTimer()
		start := time.Now()
		if _, err := c.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env}); err != nil {
			b.Fatal(err)
		}
		for i := 0; ; i++ {
			if got, err := f.store.PaymentRequest(ctx, pr.ID); err == nil && got.State == store.Paid {
				break
			}
			if i > 10_000 {
				b.Fatalf("request %s never credited", pr.ID)
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2]-closeEvery)/1e6, "ms-over-close")
}
