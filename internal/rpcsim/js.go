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
)

// JSTransfer pays amount of the SAC contract from payer to "to" with the
// official JavaScript SDK's AssembledTransaction against s (fee paid by
// fee), and returns what the SDK saw: the hash, the final status and
// balance(to) afterwards.
func JSTransfer(t testing.TB, s *Server, contract [32]byte, payer, fee *keypair.Full, to string, amount int64) (hash, status, balance string) {
	t.Helper()
	dir := npmtest.Install(t, JSPackages...)
	out := npmtest.Run(t, dir, "sdk_transfer.mjs", sdkTransferJS,
		"RPC_URL="+s.URL, "PASSPHRASE="+s.Ledger.NetworkPassphrase(), "NODE_EXTRA_CA_CERTS="+caFile(t, s),
		"CONTRACT="+strkey.MustEncode(strkey.VersionByteContract, contract[:]),
		"PAYER_SECRET="+payer.Seed(), "FEE_SECRET="+fee.Seed(), "TO="+to, "AMOUNT="+strconv.FormatInt(amount, 10))
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
	out := npmtest.Run(t, dir, "x402_payload.mjs", x402PayloadJS, "NODE_EXTRA_CA_CERTS="+caFile(t, s),
		"RPC_URL="+s.URL, "PAYER_SECRET="+payer.Seed(), "PAY_TO="+payTo,
		"CONTRACT="+strkey.MustEncode(strkey.VersionByteContract, contract[:]), "AMOUNT="+strconv.FormatInt(amount, 10))
	var payload struct {
		X402Version int `json:"x402Version"`
		Payload     struct{ Transaction string }
	}
	if err := json.Unmarshal(out, &payload); err != nil || payload.X402Version != 2 || payload.Payload.Transaction == "" {
		t.Fatalf("rpcsim: x402_payload.mjs printed %q: %v", out, err)
	}
	return payload.Payload.Transaction
}

// caFile writes s's certificate for Node (NODE_EXTRA_CA_CERTS); "" when
// s serves plain http.
func caFile(t testing.TB, s *Server) string {
	if s.CertPEM == nil {
		return ""
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, s.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
