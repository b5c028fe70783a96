package settlement_test

import (
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// feeAccount pays the fees of the SAC payments the tests' settlers submit.
var feeAccount = spt.Key("fee")

// sacNet starts a simulated RPC over clienttest's ledger with TPT's SAC
// and the fee account (the payer holding payerTPT), closing a ledger
// every close (negative: only when the test says).
func sacNet(t testing.TB, close time.Duration, payerTPT string) *rpcsim.Server {
	t.Helper()
	g := clienttest.Genesis()
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: feeAccount.Address(), Balance: "100"})
	if payerTPT != "" {
		g.Accounts[2].Trustlines[0].Balance = payerTPT
	}
	g.AssetContracts = []simledger.Asset{clienttest.TPT}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpcsim.Start(l, rpcsim.Options{Close: close})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// rpcSettler is a settler on srv whose submissions svc records (svc may
// be set after; it is read at the first submission); svc nil records
// nothing.
func rpcSettler(t testing.TB, srv *rpcsim.Server, svc **settlement.Service) *stellarpay.RPCSettler {
	t.Helper()
	cfg := stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: feeAccount,
		Timeout: 2 * time.Second, Poll: 5 * time.Millisecond, Wait: 2 * time.Second, Backoff: stellarpay.Backoff{Attempts: 1}}
	if svc != nil {
		cfg.OnSubmit = func(p *stellarpay.Payment, h string) error { return (*svc).RecordSubmission(p, h) }
	}
	r, err := stellarpay.NewRPCSettler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}
