package paymentauth

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/strkey"
)

// The site of the tests. The secret is ASCII because mppx takes its HMAC
// key as a string: the same bytes must key both implementations.
const (
	testRealm  = "exampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
	testSecret = "per-site secret of at least thirty-two bytes"
)

var (
	t0      = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	testSAC = func() string {
		id := sha256.Sum256([]byte("TPT"))
		s, _ := strkey.Encode(strkey.VersionByteContract, id[:])
		return s
	}()
	testPayee = func() string {
		kp, _ := keypair.FromRawSeed(sha256.Sum256([]byte("payee")))
		return kp.Address()
	}()
	testTx   = base64.StdEncoding.EncodeToString([]byte("signed transaction envelope xdr"))
	testHash = "a1b2c3d4e5f6789012345678901234567890123456789012345678901234abcd"
)

func testIssuer(t testing.TB) *Issuer {
	t.Helper()
	is, err := NewIssuer(testRealm, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func testRequest(feePayer bool) Request {
	return Request{
		Amount:        5_000_000,
		Currency:      testSAC,
		Recipient:     testPayee,
		Description:   "Round 2: 50 MB für 0,5 TPT <ok> & more",
		ExternalID:    "req-42",
		MethodDetails: MethodDetails{Network: "stellar:testnet", FeePayer: feePayer},
	}
}

// testChallenge is a challenge issued at t0 for five minutes.
func testChallenge(t testing.TB, feePayer bool) Challenge {
	t.Helper()
	c, err := testIssuer(t).Challenge(testRequest(feePayer), t0.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
