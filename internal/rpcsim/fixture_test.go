package rpcsim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

var (
	payer, operator, issuer = spt.Payer, spt.Operator, spt.Issuer
	feeKey                  = spt.Key("fee")
	tpt                     = simledger.Asset{Code: "TPT", Issuer: issuer.Address()}
)

// start runs a simulated RPC on the testnet passphrase (the one the
// @x402/stellar client insists on) with a payer holding 50 TPT, the
// operator, and a fee account holding only XLM.
func start(t testing.TB, close time.Duration) (*Server, *rpcclient.Client) {
	return startWith(t, Options{Close: close})
}

func startWith(t testing.TB, opts Options) (*Server, *rpcclient.Client) {
	t.Helper()
	line := func(bal string) []simledger.TrustlineSpec {
		return []simledger.TrustlineSpec{{Asset: tpt, Balance: bal}}
	}
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: network.TestNetworkPassphrase,
		Accounts: []simledger.AccountSpec{
			{Address: issuer.Address(), Balance: "100"},
			{Address: operator.Address(), Balance: "10", Trustlines: line("0")},
			{Address: payer.Address(), Balance: "10", Trustlines: line("50")},
			{Address: feeKey.Address(), Balance: "100"},
		},
		AssetContracts: []simledger.Asset{tpt},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := rpcclient.NewClient(s.URL, &http.Client{Timeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return s, c
}

func address(t testing.TB, s string) sac.Address {
	t.Helper()
	a, err := sac.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
