package stellarpay

import (
	"context"
	"sort"
	"testing"
	"time"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// BenchmarkRPCSettleLatency settles SAC payments through the simulated
// RPC closing a ledger every 200 ms and reports the median time from
// submission to credit less one ledger close ("ms-over-close"; target
// ≤ 50): a payment waits for the next close, then one poll.
func BenchmarkRPCSettleLatency(b *testing.B) {
	const closeEvery = 200 * time.Millisecond
	g := sacGenesis(spt.Passphrase)
	g.Accounts[2].Trustlines[0].Balance = "1000000" // the payer: enough for any b.N
	l, s := simRPC(b, g, rpcsim.Options{Close: closeEvery})
	st, err := NewRPCSettler(RPCConfig{URL: s.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: feeKey,
		Poll: 5 * time.Millisecond, Wait: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	exp := expected()
	exp.ExpiresAt = time.Now().Add(time.Hour)
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		p, err := VerifySAC(sacTx{amount: 25_000_000, ledgers: 10_000}.envelope(b, l), exp, LedgerTime{Ledger: l.Number(), Now: time.Now(), Close: closeEvery})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := st.Settle(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2]-closeEvery)/1e6, "ms-over-close")
}
