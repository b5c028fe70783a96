package rpcsim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/internal/npmtest"
)

// The JavaScript packages the tests run, at pinned versions.
var jsPackages = []string{"@stellar/stellar-sdk@17.2.0", "@x402/stellar@2.9.0", "@x402/core@2.9.0"}

// TestJavaScriptSDKPaysThroughSAC runs the official JavaScript SDK,
// unmodified, against the simulated RPC: AssembledTransaction builds and
// simulates a transfer, the payer signs its auth entry, the SDK sends it
// and polls to SUCCESS, and balance() shows the money arrived.
func TestJavaScriptSDKPaysThroughSAC(t *testing.T) {
	dir := npmtest.Install(t, jsPackages...)
	s, _ := start(t, 200*time.Millisecond)
	contract := s.Ledger.ContractID(tpt)
	out := npmtest.Run(t, dir, "testdata/sdk_transfer.mjs",
		"RPC_URL="+s.URL, "PASSPHRASE="+network.TestNetworkPassphrase,
		"CONTRACT="+strkey.MustEncode(strkey.VersionByteContract, contract[:]),
		"PAYER_SECRET="+payer.Seed(), "FEE_SECRET="+feeKey.Seed(),
		"TO="+operator.Address(), "AMOUNT=30000000")
	var got struct{ Hash, Status, Balance string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("script printed %q: %v", out, err)
	}
	if got.Status != "SUCCESS" || got.Balance != "30000000" {
		t.Fatalf("JS SDK saw %+v, want SUCCESS and balance 30000000", got)
	}
	tx, err := s.Ledger.Transaction(got.Hash)
	if err != nil || !tx.Successful || tx.Source != feeKey.Address() {
		t.Fatalf("ledger holds %+v, %v", tx, err)
	}
	if bal, _ := s.Ledger.Balance(payer.Address(), tpt); bal != 500_000_000-30_000_000 {
		t.Errorf("payer holds %d", bal)
	}
}

// TestX402ClientCreatesPayload runs the @x402/stellar client, unmodified,
// against the simulated RPC (over https: the client's AssembledTransaction
// refuses plain http even on testnet) and checks the payload it makes: one transfer
// of the asked amount to payTo on the SAC, with the payer's address
// credential signed over the testnet preimage.
func TestX402ClientCreatesPayload(t *testing.T) {
	dir := npmtest.Install(t, jsPackages...)
	s, _ := startWith(t, Options{Close: 200 * time.Millisecond, TLS: true})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, s.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	contract := s.Ledger.ContractID(tpt)
	out := npmtest.Run(t, dir, "testdata/x402_payload.mjs", "NODE_EXTRA_CA_CERTS="+ca,
		"RPC_URL="+s.URL, "PAYER_SECRET="+payer.Seed(), "PAY_TO="+operator.Address(),
		"CONTRACT="+strkey.MustEncode(strkey.VersionByteContract, contract[:]), "AMOUNT="+strconv.Itoa(12_345))
	var payload struct {
		X402Version int `json:"x402Version"`
		Payload     struct{ Transaction string }
	}
	if err := json.Unmarshal(out, &payload); err != nil || payload.X402Version != 2 {
		t.Fatalf("script printed %q: %v", out, err)
	}
	var env xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(payload.Payload.Transaction, &env); err != nil {
		t.Fatal(err)
	}
	ops := env.Operations()
	if len(ops) != 1 || ops[0].Body.InvokeHostFunctionOp == nil {
		t.Fatalf("payload holds %d operations", len(ops))
	}
	op := ops[0].Body.InvokeHostFunctionOp
	tr, err := sac.ParseTransfer(op.HostFunction.InvokeContract)
	if err != nil || tr.Contract != contract || tr.To != address(t, operator.Address()) || tr.From != address(t, payer.Address()) || tr.Amount != 12_345 {
		t.Fatalf("transfer = %+v, %v", tr, err)
	}
	if len(op.Auth) != 1 || op.Auth[0].Credentials.Address == nil {
		t.Fatalf("auth = %+v", op.Auth)
	}
	c := op.Auth[0].Credentials.Address
	payload32, err := sac.AuthPayload(network.ID(network.TestNetworkPassphrase), c, op.Auth[0].RootInvocation)
	if err != nil {
		t.Fatal(err)
	}
	if err := sac.CheckSignature(c.Signature, payload32, address(t, payer.Address()).Key); err != nil {
		t.Errorf("the payer's signature: %v", err)
	}
	if uint32(c.SignatureExpirationLedger) <= s.Ledger.Number() {
		t.Errorf("expiration ledger %d is not after %d", c.SignatureExpirationLedger, s.Ledger.Number())
	}
}
