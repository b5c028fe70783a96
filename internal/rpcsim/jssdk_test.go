package rpcsim

import (
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// TestJavaScriptSDKPaysThroughSAC runs the official JavaScript SDK,
// unmodified, against the simulated RPC: AssembledTransaction builds and
// simulates a transfer, the payer signs its auth entry, the SDK sends it
// and polls to SUCCESS, and balance() shows the money arrived.
func TestJavaScriptSDKPaysThroughSAC(t *testing.T) {
	s, _ := start(t, 200*time.Millisecond)
	hash, status, balance := JSTransfer(t, s, s.Ledger.ContractID(tpt), payer, feeKey, operator.Address(), 30_000_000)
	if status != "SUCCESS" || balance != "30000000" {
		t.Fatalf("JS SDK saw %s and balance %s, want SUCCESS and 30000000", status, balance)
	}
	tx, err := s.Ledger.Transaction(hash)
	if err != nil || !tx.Successful || tx.Source != feeKey.Address() {
		t.Fatalf("ledger holds %+v, %v", tx, err)
	}
	if bal, _ := s.Ledger.Balance(payer.Address(), tpt); bal != 500_000_000-30_000_000 {
		t.Errorf("payer holds %d", bal)
	}
}

// TestX402ClientCreatesPayload runs the @x402/stellar client, unmodified,
// against the simulated RPC (over https: the client's AssembledTransaction
// refuses plain http even on testnet) and checks the payload it makes:
// one transfer of the asked amount to payTo on the SAC, with the payer's
// address credential signed over the testnet preimage.
func TestX402ClientCreatesPayload(t *testing.T) {
	// 1 s ledgers: the client allows maxTimeoutSeconds / 5 s ledgers (12
	// closes) between reading the latest ledger and simulating.
	s, _ := startWith(t, Options{Close: time.Second, TLS: true})
	contract := s.Ledger.ContractID(tpt)
	b64 := X402Payload(t, s, contract, payer, operator.Address(), 12_345)
	var env xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(b64, &env); err != nil {
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
	payload, err := sac.AuthPayload(network.ID(network.TestNetworkPassphrase), c, op.Auth[0].RootInvocation)
	if err != nil {
		t.Fatal(err)
	}
	if err := sac.CheckSignature(c.Signature, payload, address(t, payer.Address()).Key); err != nil {
		t.Errorf("the payer's signature: %v", err)
	}
	if uint32(c.SignatureExpirationLedger) <= s.Ledger.Number() {
		t.Errorf("expiration ledger %d is not after %d", c.SignatureExpirationLedger, s.Ledger.Number())
	}
}
