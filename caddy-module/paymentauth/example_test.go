package paymentauth_test

import (
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/paymentauth"
)

// The meter's side of one payment: issue a challenge, read the credential
// that answers it, and write the receipt.
func Example() {
	is, err := paymentauth.NewIssuer("example.onion", []byte("the site's secret, 32 bytes or more"))
	if err != nil {
		panic(err)
	}
	issued := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c, err := is.Challenge(paymentauth.Request{
		Amount:        5_000_000, // 0.5 TPT in stroops
		Currency:      "CAXXSFJCS6NZW4GJ2LPP74YX74GY6UQOXTYDUUALJUQWXCZPK37QYKON",
		Recipient:     "GAHRVRNNPCSU5STYLVMAOUPDSRBBVGFBI77LDESCSIT22HSKFKVVMKYR",
		ExternalID:    "req-1",
		MethodDetails: paymentauth.MethodDetails{Network: "stellar:testnet", FeePayer: true},
	}, issued.Add(5*time.Minute))
	if err != nil {
		panic(err)
	}
	// What a client sends back (here built by hand, as a client would).
	header := paymentauth.Credential{
		Challenge: c,
		Payload:   paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: "AAAAAgAAAAA="},
	}.String()

	cred, err := paymentauth.ParseCredential(header)
	if err != nil {
		panic(err)
	}
	r, err := is.Verify(cred, issued.Add(time.Minute))
	fmt.Println("verified:", err == nil, r.Amount, r.ExternalID)

	_, err = is.Verify(cred, issued.Add(10*time.Minute))
	fmt.Println("later:", paymentauth.AsError(err).Type())

	receipt := paymentauth.NewReceipt(r, "a1b2c3d4e5f6789012345678901234567890123456789012345678901234abcd", issued.Add(time.Minute))
	fmt.Println(receipt.Status, receipt.Timestamp)
	// Output:
	// verified: true 5000000 req-1
	// later: https://paymentauth.org/problems/payment-expired
	// success 2026-12-01T12:01:00Z
}
