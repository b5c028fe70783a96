package x402

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/strkey"
)

// Addresses for tests: real strkeys, derived from fixed bytes so failures
// are reproducible.
var (
	testAsset = mustContract("TPT")
	otherSAC  = mustContract("USDC")
	testPayee = mustAccount("payee")
	otherAcct = mustAccount("other")
)

func mustAccount(seed string) string {
	kp, err := keypair.FromRawSeed(sha256.Sum256([]byte(seed)))
	if err != nil {
		panic(err)
	}
	return kp.Address()
}

func mustContract(seed string) string {
	id := sha256.Sum256([]byte(seed))
	s, err := strkey.Encode(strkey.VersionByteContract, id[:])
	if err != nil {
		panic(err)
	}
	return s
}

// offer is what a test site asks for: 0.5 TPT on testnet.
func offer() Requirements {
	return Exact(NetworkTestnet, testAsset, testPayee, 5_000_000, time.Minute)
}

// paying returns a payload answering r, as a client builds it. The
// transaction is opaque bytes here: this package checks the protocol
// fields, the settlement code decodes the XDR.
func paying(r Requirements) PaymentPayload {
	return PaymentPayload{
		X402Version: Version,
		Resource:    &ResourceInfo{URL: "http://example.onion/page", Description: "Zugang für €0.50", MimeType: "text/html"},
		Accepted:    r,
		Payload:     ExactPayload{Transaction: base64.StdEncoding.EncodeToString([]byte("AAAAAgAAAAB signed transaction xdr"))},
	}
}

func TestFixtureIsValid(t *testing.T) {
	if err := offer().Validate(); err != nil {
		t.Fatalf("fixture requirements: %v", err)
	}
}
