// Package revenuetest runs a simulated Stellar network for the revenue
// tests (the revenue package's and the hoster's): TPT and its SAC, a site,
// a payer and a forger, and payments by classic operation or SAC transfer.
package revenuetest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// Net is a simulated Stellar RPC (internal/rpcsim over HTTP, on the
// testnet passphrase) whose ledger has TPT with its SAC deployed, the
// Site (1000 TPT), the Payer (50 TPT and 50 of the forger's), a Stranger,
// a Fee account holding only XLM and the Forger's TPT (the same code from
// another issuer), every account trusting both. Ledgers close when a
// payment is sent.
type Net struct {
	// Server is the simulated RPC; Client a client of it.
	Server *rpcsim.Server
	Client *rpcclient.Client
	// TPT and FakeTPT are the real and the forged asset.
	TPT, FakeTPT simledger.Asset

	t testing.TB
}

// Passphrase is a Net's network passphrase.
const Passphrase = network.TestNetworkPassphrase

// The accounts of a Net.
var (
	Site, Payer, Issuer   = spt.Key("rpc-site"), spt.Key("rpc-payer"), spt.Key("rpc-issuer")
	Stranger, Fee, Forger = spt.Key("rpc-stranger"), spt.Key("rpc-fee"), spt.Key("rpc-forger")
)

// StartRPC starts a Net, with more accounts if given, stopped when the
// test ends.
func StartRPC(t testing.TB, more ...simledger.AccountSpec) *Net {
	t.Helper()
	n := &Net{t: t, TPT: simledger.Asset{Code: "TPT", Issuer: Issuer.Address()},
		FakeTPT: simledger.Asset{Code: "TPT", Issuer: Forger.Address()}}
	lines := func(tpt, fake string) []simledger.TrustlineSpec {
		return []simledger.TrustlineSpec{{Asset: n.TPT, Balance: tpt}, {Asset: n.FakeTPT, Balance: fake}}
	}
	g := simledger.Genesis{NetworkPassphrase: Passphrase,
		Accounts: append([]simledger.AccountSpec{
			{Address: Issuer.Address(), Balance: "100"},
			{Address: Forger.Address(), Balance: "100"},
			{Address: Site.Address(), Balance: "100", Trustlines: lines("1000", "0")},
			{Address: Payer.Address(), Balance: "100", Trustlines: lines("50", "50")},
			{Address: Stranger.Address(), Balance: "10", Trustlines: lines("0", "0")},
			{Address: Fee.Address(), Balance: "100"},
		}, more...),
		AssetContracts: []simledger.Asset{n.TPT, n.FakeTPT},
	}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Server, err = rpcsim.Start(l, rpcsim.Options{Close: -1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Server.Close() })
	n.Client = rpcclient.NewClient(n.Server.URL, &http.Client{Timeout: 10 * time.Second})
	t.Cleanup(func() { n.Client.Close() })
	return n
}

// Context is a context for one call, cancelled when the test ends.
func (n *Net) Context() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	n.t.Cleanup(cancel)
	return ctx
}

// Send submits a signed envelope, closes the ledger and returns its hash
// and the status the ledger gave it.
func (n *Net) Send(env string) (string, string) {
	n.t.Helper()
	sent, err := n.Client.SendTransaction(n.Context(), protocol.SendTransactionRequest{Transaction: env})
	if err != nil || sent.Status != "PENDING" {
		n.t.Fatalf("sendTransaction: %+v, %v", sent, err)
	}
	n.Server.CloseLedger()
	got, err := n.Client.GetTransaction(n.Context(), protocol.GetTransactionRequest{Hash: sent.Hash})
	if err != nil {
		n.t.Fatal(err)
	}
	return sent.Hash, got.Status
}

// Classic pays amount of asset from kp to dest with a payment operation.
func (n *Net) Classic(kp *keypair.Full, dest string, asset simledger.Asset, amount string) (string, string) {
	n.t.Helper()
	acct, err := n.Server.Ledger.Account(kp.Address())
	if err != nil {
		n.t.Fatal(err)
	}
	return n.Send(spt.MustEnvelope(n.t, spt.Tx{Source: kp, Sequence: acct.Sequence + 1, Passphrase: Passphrase,
		Ops: []txnbuild.Operation{spt.Pay(dest, asset.Code, asset.Issuer, amount)}}))
}

// Transfer pays stroops of asset from kp to dest by invoking the asset's
// SAC, signed as a wallet does, with the fee account paying the fee.
func (n *Net) Transfer(kp *keypair.Full, dest string, asset simledger.Asset, stroops int64) string {
	n.t.Helper()
	from, err := sac.ParseAddress(kp.Address())
	if err != nil {
		n.t.Fatal(err)
	}
	to, err := sac.ParseAddress(dest)
	if err != nil {
		n.t.Fatal(err)
	}
	call := sac.Transfer{Contract: n.Server.Ledger.ContractID(asset), From: from, To: to, Amount: stroops}.Args()
	w := rpcsim.Wallet{Client: n.Client, Passphrase: Passphrase}
	p, err := w.Prepare(n.Context(), Fee.Address(), call, kp, 20)
	if err != nil {
		n.t.Fatal(err)
	}
	env, err := w.Envelope(n.Context(), Fee, call, p)
	if err != nil {
		n.t.Fatal(err)
	}
	hash, status := n.Send(env)
	if status != protocol.TransactionStatusSuccess {
		n.t.Fatalf("SAC transfer: %s", status)
	}
	return hash
}
