package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/internal/horizonsim"
)

// TestInitReportsWhatIsMissing runs "hoster init" against a simulated
// Horizon as an owner would: first the new accounts do not exist, then
// (funded) the payee does not trust TPT and the fee account holds too
// little XLM, each reported with its fix; after the fixes, made with real
// transactions, it says all is ready. The keys stay the same across runs,
// in files of mode 0600, and no seed is ever printed.
func TestInitReportsWhatIsMissing(t *testing.T) {
	issuer := keypair.MustRandom()
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: network.TestNetworkPassphrase,
		Accounts: []simledger.AccountSpec{{Address: issuer.Address(), Balance: "1000"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hz, err := horizonsim.Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hz.Close() })
	keys := filepath.Join(t.TempDir(), "keys")
	run := func(wantCode int, want ...string) string {
		t.Helper()
		code, out, errOut := runHoster(t, nil, "init", "--keys-dir", keys, "--asset-issuer", issuer.Address(), "--horizon", hz.URL)
		for _, w := range want {
			if !strings.Contains(out+errOut, w) {
				t.Fatalf("init output lacks %q:\n%s%s", w, out, errOut)
			}
		}
		if code != wantCode {
			t.Fatalf("init exit %d, want %d:\n%s%s", code, wantCode, out, errOut)
		}
		for _, f := range []string{"payee.seed", "fee.seed"} {
			kp, err := stellarpay.LoadSeed(filepath.Join(keys, f), "") // refuses a file others can read
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out+errOut, kp.Seed()) {
				t.Fatalf("init printed the seed of %s", f)
			}
		}
		return out
	}
	out := run(ExitFailed, "missing: payee account", "does not exist", "friendbot.stellar.org/?addr=", "missing: fee account", "2 thing(s) not ready yet")
	payee := loadSeedFile(t, filepath.Join(keys, "payee.seed"))
	fee := loadSeedFile(t, filepath.Join(keys, "fee.seed"))
	for _, line := range []string{"TORPLUS_PAY_TO=" + payee.Address(), "TORPLUS_ASSET_ISSUER=" + issuer.Address(), "TORPLUS_HORIZON_URL=" + hz.URL} {
		if !strings.Contains(out, line+"\n") {
			t.Fatalf("the .env lines lack %q:\n%s", line, out)
		}
	}

	client := &horizonclient.Client{HorizonURL: hz.URL}
	submit(t, client, issuer, &txnbuild.CreateAccount{Destination: payee.Address(), Amount: "10"},
		&txnbuild.CreateAccount{Destination: fee.Address(), Amount: "2"})
	run(ExitFailed, "ok: payee account "+payee.Address()+" exists", "does not trust TPT issued by "+issuer.Address(), "Change Trust",
		"holds 2.0000000 XLM, less than the 5 XLM", "2 thing(s) not ready yet")

	submit(t, client, payee, &txnbuild.ChangeTrust{Line: txnbuild.CreditAsset{Code: "TPT", Issuer: issuer.Address()}.MustToChangeTrustAsset()})
	submit(t, client, issuer, &txnbuild.Payment{Destination: fee.Address(), Amount: "10", Asset: txnbuild.NativeAsset{}})
	run(ExitSuccess, "ok: payee account trusts TPT", "ok: fee account holds 12.0000000 XLM", "all is ready")
}

func loadSeedFile(t *testing.T, path string) *keypair.Full {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", path, err, st.Mode())
	}
	kp, err := stellarpay.LoadSeed(path, "")
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// submit signs ops from src and submits them through Horizon.
func submit(t *testing.T, c *horizonclient.Client, src *keypair.Full, ops ...txnbuild.Operation) {
	t.Helper()
	acc, err := c.AccountDetail(horizonclient.AccountRequest{AccountID: src.Address()})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{SourceAccount: &acc, IncrementSequenceNum: true,
		Operations: ops, BaseFee: txnbuild.MinBaseFee, Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewInfiniteTimeout()}})
	if err != nil {
		t.Fatal(err)
	}
	if tx, err = tx.Sign(network.TestNetworkPassphrase, src); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitTransaction(tx); err != nil {
		t.Fatalf("submit: %v", err)
	}
}
