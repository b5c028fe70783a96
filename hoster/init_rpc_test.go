package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestInitOnRPC runs "hoster init --stellar-rpc" against the simulated
// Stellar RPC (getNetwork, getLedgerEntries): the new accounts do not
// exist; funded, the payee's missing trustline and the fee account's
// missing XLM are each reported with the fix; after the fixes, real
// transactions sent through the RPC, it says all is ready and prints the
// RPC and fee account lines.
func TestInitOnRPC(t *testing.T) {
	issuer := keypair.MustRandom()
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: network.TestNetworkPassphrase,
		Accounts: []simledger.AccountSpec{{Address: issuer.Address(), Balance: "1000"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rpcsim.Start(l, rpcsim.Options{Close: -1}) // ledgers close when the test says
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	keys := filepath.Join(t.TempDir(), "keys")
	run := func(wantCode int, want ...string) string {
		t.Helper()
		code, out, errOut := runHoster(t, nil, "init", "--keys-dir", keys, "--asset-issuer", issuer.Address(), "--stellar-rpc", s.URL)
		for _, w := range want {
			if !strings.Contains(out+errOut, w) {
				t.Fatalf("init output lacks %q:\n%s%s", w, out, errOut)
			}
		}
		if code != wantCode {
			t.Fatalf("init exit %d, want %d:\n%s%s", code, wantCode, out, errOut)
		}
		return out
	}
	out := run(ExitFailed, "ok: Stellar RPC "+s.URL+" answers, on "+network.TestNetworkPassphrase,
		"missing: payee account", "does not exist", "friendbot.stellar.org/?addr=", "missing: fee account", "2 thing(s) not ready yet")
	payee := loadSeedFile(t, filepath.Join(keys, "payee.seed"))
	fee := loadSeedFile(t, filepath.Join(keys, "fee.seed"))
	feeFile, _ := filepath.Abs(filepath.Join(keys, "fee.seed"))
	for _, line := range []string{"TORPLUS_PAY_TO=" + payee.Address(), "TORPLUS_STELLAR_RPC=" + s.URL, "TORPLUS_FEE_ACCOUNT_SEED_FILE=" + feeFile} {
		if !strings.Contains(out, line+"\n") {
			t.Fatalf("the .env lines lack %q:\n%s", line, out)
		}
	}
	if strings.Contains(out, "TORPLUS_HORIZON_URL") {
		t.Fatalf("with --stellar-rpc the .env lines name a Horizon:\n%s", out)
	}

	rpc := rpcclient.NewClient(s.URL, nil)
	defer rpc.Close()
	send := func(src *keypair.Full, ops ...txnbuild.Operation) {
		t.Helper()
		sendThroughRPC(t, s, rpc, src, ops...)
	}
	send(issuer, &txnbuild.CreateAccount{Destination: payee.Address(), Amount: "10"},
		&txnbuild.CreateAccount{Destination: fee.Address(), Amount: "2"})
	run(ExitFailed, "ok: payee account "+payee.Address()+" exists", "missing: payee account "+payee.Address()+" does not trust TPT issued by "+issuer.Address(),
		"fix: add the trustline", "Change Trust", "missing: fee account "+fee.Address()+" holds 2.0000000 XLM, less than the 5 XLM", "2 thing(s) not ready yet")

	send(payee, &txnbuild.ChangeTrust{Line: txnbuild.CreditAsset{Code: "TPT", Issuer: issuer.Address()}.MustToChangeTrustAsset()})
	send(issuer, &txnbuild.Payment{Destination: fee.Address(), Amount: "10", Asset: txnbuild.NativeAsset{}})
	run(ExitSuccess, "ok: payee account trusts TPT", "ok: fee account holds 12.0000000 XLM", "all is ready")
}

// sendThroughRPC signs ops from src, sends them with sendTransaction,
// closes the ledger and checks that the transaction succeeded.
func sendThroughRPC(t *testing.T, s *rpcsim.Server, rpc *rpcclient.Client, src *keypair.Full, ops ...txnbuild.Operation) {
	t.Helper()
	ctx := context.Background()
	acc, err := rpc.LoadAccount(ctx, src.Address())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{SourceAccount: acc, IncrementSequenceNum: true,
		Operations: ops, BaseFee: txnbuild.MinBaseFee, Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewInfiniteTimeout()}})
	if err != nil {
		t.Fatal(err)
	}
	if tx, err = tx.Sign(network.TestNetworkPassphrase, src); err != nil {
		t.Fatal(err)
	}
	env, err := tx.Base64()
	if err != nil {
		t.Fatal(err)
	}
	sent, err := rpc.SendTransaction(ctx, protocol.SendTransactionRequest{Transaction: env})
	if err != nil || sent.Status != "PENDING" {
		t.Fatalf("sendTransaction: %+v, %v", sent, err)
	}
	s.CloseLedger()
	got, err := rpc.GetTransaction(ctx, protocol.GetTransactionRequest{Hash: sent.Hash})
	if err != nil || got.Status != protocol.TransactionStatusSuccess {
		t.Fatalf("getTransaction %s: %+v, %v", sent.Hash, got, err)
	}
}

// TestInitCaddyfileSnippet: the torplus block "hoster init --format
// caddyfile --stellar-rpc" prints is one the handler reads: the rpc
// backend, its RPC and the fee account's seed file.
func TestInitCaddyfileSnippet(t *testing.T) {
	issuer := keypair.MustRandom()
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: network.TestNetworkPassphrase,
		Accounts: []simledger.AccountSpec{{Address: issuer.Address(), Balance: "1000"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rpcsim.Start(l, rpcsim.Options{Close: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	keys := filepath.Join(t.TempDir(), "keys")
	_, out, _ := runHoster(t, nil, "init", "--keys-dir", keys, "--asset-issuer", issuer.Address(), "--stellar-rpc", s.URL, "--format", "caddyfile")
	i := strings.Index(out, "torplus {")
	j := strings.Index(out[max(i, 0):], "\n}\n")
	if i < 0 || j < 0 {
		t.Fatalf("no torplus block in:\n%s", out)
	}
	var h meter.Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(out[i : i+j+3])); err != nil {
		t.Fatalf("the printed block does not parse: %v\n%s", err, out[i:i+j+3])
	}
	feeFile, _ := filepath.Abs(filepath.Join(keys, "fee.seed"))
	if h.Backend != stellarpay.BackendRPC || h.StellarRPC != s.URL || h.FeeAccountSeedFile != feeFile || h.AssetIssuer != issuer.Address() {
		t.Fatalf("the printed block reads as %+v", h)
	}
}
