package settlement_test

import (
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// feeAccount pays the fees of the SAC payments the tests' settlers
// submit; facilitatorAccount those another submitter (a facilitator)
// lands, unknown to the zone.
var feeAccount, facilitatorAccount = spt.Key("fee"), spt.Key("facilitator")

// sacNet starts a simulated RPC over clienttest's ledger with TPT's SAC
// and the fee account (the payer holding payerTPT), closing a ledger
// every close (negative: only when the test says).
func sacNet(t testing.TB, close time.Duration, payerTPT string) *rpcsim.Server {
	t.Helper()
	return sacNetWith(t, rpcsim.Options{Close: close}, payerTPT)
}

// sacNetWith is sacNet with the simulated RPC's options.
func sacNetWith(t testing.TB, opts rpcsim.Options, payerTPT string) *rpcsim.Server {
	t.Helper()
	g := clienttest.Genesis()
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: feeAccount.Address(), Balance: "100"},
		simledger.AccountSpec{Address: facilitatorAccount.Address(), Balance: "100"})
	if payerTPT != "" {
		g.Accounts[2].Trustlines[0].Balance = payerTPT
	}
	g.AssetContracts = []simledger.Asset{clienttest.TPT}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpcsim.Start(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// rpcSettler is a settler on srv whose submissions svc records (svc may
// be set after; it is read at the first submission).
func rpcSettler(t testing.TB, srv *rpcsim.Server, svc **settlement.Service) *stellarpay.RPCSettler {
	t.Helper()
	return settlerOn(t, srv, feeAccount, func(p *stellarpay.Payment, h string) error { return (*svc).RecordSubmission(p, h) })
}

// facilitatorOn is another submitter on srv, with its own fee account,
// whose submissions the zone never hears of; sent, if set, hears of each
// before it is sent.
func facilitatorOn(t testing.TB, srv *rpcsim.Server, sent func()) *stellarpay.RPCSettler {
	t.Helper()
	return settlerOn(t, srv, facilitatorAccount, func(*stellarpay.Payment, string) error {
		if sent != nil {
			sent()
		}
		return nil
	})
}

func settlerOn(t testing.TB, srv *rpcsim.Server, fee *keypair.Full, onSubmit func(*stellarpay.Payment, string) error) *stellarpay.RPCSettler {
	t.Helper()
	r, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: fee,
		Timeout: 2 * time.Second, Poll: 5 * time.Millisecond, Wait: 2 * time.Second, Backoff: stellarpay.Backoff{Attempts: 1},
		OnSubmit: onSubmit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}
