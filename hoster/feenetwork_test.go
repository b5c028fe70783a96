package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// feeNetwork is the simulated Stellar network of a hoster that settles
// through Stellar RPC: clienttest's accounts, TPT's token contract (SAC),
// which token payments go through, and a fee account (100 XLM) whose seed
// is in a 0600 file for --fee-account-seed-file or fee_account_seed_file.
type feeNetwork struct {
	fee      *keypair.Full
	seedFile string
	ledger   *simledger.Ledger
	rpc      *rpcsim.Server // plain http, a ledger closed every second
}

// startFeeNetwork starts it, on passphrase ("": clienttest's), and stops
// it when the test ends.
func startFeeNetwork(t *testing.T, passphrase string) feeNetwork {
	t.Helper()
	n := feeNetwork{fee: spt.Key("fee"), seedFile: filepath.Join(t.TempDir(), "fee.seed")}
	g := clienttest.Genesis()
	if passphrase != "" {
		g.NetworkPassphrase = passphrase
	}
	g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: n.fee.Address(), Balance: "100"})
	g.AssetContracts = []simledger.Asset{clienttest.TPT}
	var err error
	if n.ledger, err = simledger.New(g, nil); err != nil {
		t.Fatal(err)
	}
	if n.rpc, err = rpcsim.Start(n.ledger, rpcsim.Options{Close: time.Second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.rpc.Close() })
	writeFile(t, n.seedFile, n.fee.Seed()+"\n", 0o600)
	return n
}
