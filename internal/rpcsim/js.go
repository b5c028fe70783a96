package rpcsim

import (
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/internal/npmtest"
)

// JSPackages are the JavaScript packages the tests run, unmodified, at
// pinned versions.
var JSPackages = []string{"@stellar/stellar-sdk@17.2.0", "@x402/stellar@2.9.0", "@x402/core@2.9.0"}

var (
	//go:embed js/sdk_transfer.mjs
	sdkTransferJS []byte
	//go:embed js/x402_payload.mjs
	x402PayloadJS []byte
	//go:embed js/x402_facilitator.mjs
	x402FacilitatorJS string
)

// X402FacilitatorPackages are the x402 Foundation's facilitator for exact
// on Stellar, pinned with the Stellar SDK it depends on.
var X402FacilitatorPackages = []string{"@x402/core@2.9.0", "@x402/stellar@2.9.0", "@stellar/stellar-sdk@14.6.1"}

// X402Facilitator serves the x402 Foundation's facilitator, unmodified,
// on 127.0.0.1 for the rest of the test (x402's facilitator API for
// exact on stellar:testnet, with signer paying the fees and its RPC at
// rpcURL, plain http allowed for testnet) and returns its base URL. Its
// fee cap is raised from its default 50,000 stroops to the hoster's
// (stellarpay.MaxSACResourceFee): the simulated ledger's resource fees
// are higher than the network's.
func X402Facilitator(t testing.TB, rpcURL string, signer *keypair.Full) string {
	t.Helper()
	dir := npmtest.Install(t, X402FacilitatorPackages...)
	t.Setenv("FACILITATOR_SECRET", signer.Seed())
	t.Setenv("RPC_URL", rpcURL)
	t.Setenv("MAX_FEE_STROOPS", "2000000")
	return npmtest.Serve(t, dir, x402FacilitatorJS)
}

// JSTransfer pays amount of the SAC contract from payer to "to" with the
// official JavaScript SDK's AssembledTransaction against s (fee paid by
// fee), and returns what the SDK saw: the hash, the final status and
// balance(to) afterwards.
func JSTransfer(t testing.TB, s *Server, contract [32]byte, payer, fee *keypair.Full, to string, amount int64) (hash, status, balance string) {
	t.Helper()
	dir := npmtest.Install(t, JSPackages...)
	TrustCA(t, s)
	out := npmtest.Node(t, dir, string(sdkTransferJS), scriptInput(t, map[string]string{
		"RPC_URL": s.URL, "PASSPHRASE": s.Ledger.NetworkPassphrase(),
		"CONTRACT":     strkey.MustEncode(strkey.VersionByteContract, contract[:]),
		"PAYER_SECRET": payer.Seed(), "FEE_SECRET": fee.Seed(), "TO": to, "AMOUNT": strconv.FormatInt(amount, 10)}))
	var got struct{ Hash, Status, Balance string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("rpcsim: sdk_transfer.mjs printed %q: %v", out, err)
	}
	return got.Hash, got.Status, got.Balance
}

// X402Payload has the @x402/stellar client create an `exact` payment of
// amount of the SAC contract to payTo against s, which must serve the
// testnet passphrase over TLS (Options.TLS: the client refuses plain
// http). It returns the payload's base64 transaction.
func X402Payload(t testing.TB, s *Server, contract [32]byte, payer *keypair.Full, payTo string, amount int64) string {
	t.Helper()
	dir := npmtest.Install(t, JSPackages...)
	TrustCA(t, s)
	out := npmtest.Node(t, dir, string(x402PayloadJS), scriptInput(t, map[string]string{
		"RPC_URL": s.URL, "PAYER_SECRET": payer.Seed(), "PAY_TO": payTo,
		"CONTRACT": strkey.MustEncode(strkey.VersionByteContract, contract[:]), "AMOUNT": strconv.FormatInt(amount, 10)}))
	var payload struct {
		X402Version int `json:"x402Version"`
		Payload     struct{ Transaction string }
	}
	if err := json.Unmarshal(out, &payload); err != nil || payload.X402Version != 2 || payload.Payload.Transaction == "" {
		t.Fatalf("rpcsim: x402_payload.mjs printed %q: %v", out, err)
	}
	return payload.Payload.Transaction
}

// TrustCA makes the node processes of this test trust s's certificate
// (NODE_EXTRA_CA_CERTS, read by node at start, so it is set in the
// test's environment, which the processes inherit); nothing for http.
func TrustCA(t testing.TB, s *Server) {
	if s.CertPEM == nil {
		return
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, s.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NODE_EXTRA_CA_CERTS", p)
}

// scriptInput encodes a script's parameters, given on its standard input.
func scriptInput(t testing.TB, m map[string]string) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
