package composetest

import (
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/horizonsim"
	"github.com/torplus/torplus/internal/rpcsim"
)

// stellarNet is the simulated Stellar network the deploy tests' hosters
// settle on, on 127.0.0.1: the Stellar RPC of their rpc backend and, over
// the same ledger, the Horizon their paying clients read sequence numbers
// from (client.Config.Horizon). The ledger is clienttest.Genesis plus Fee,
// the hosters' fee account, holding XLM only.
type stellarNet struct {
	RPC, Horizon string
	Ledger       *simledger.Ledger
	Fee          *keypair.Full
}

// startStellar starts the network; it stops when the test ends.
func startStellar(t *testing.T) *stellarNet {
	t.Helper()
	n := &stellarNet{Fee: keypair.MustRandom()}
	g := clienttest.Genesis()
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: n.Fee.Address(), Balance: "100"})
	var err error
	if n.Ledger, err = simledger.New(g, nil); err != nil {
		t.Fatal(err)
	}
	rpc, err := rpcsim.Start(n.Ledger, rpcsim.Options{Close: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rpc.Close() })
	hz, err := horizonsim.Start(n.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hz.Close() })
	n.RPC, n.Horizon = rpc.URL, hz.URL
	return n
}
