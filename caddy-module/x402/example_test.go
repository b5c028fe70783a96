package x402_test

import (
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/x402"
)

// The meter's side of one x402 payment: offer, read the answer, check it
// against the offer (never against the payload's own copy).
func Example() {
	offer := x402.Exact(x402.NetworkTestnet,
		"CAXXSFJCS6NZW4GJ2LPP74YX74GY6UQOXTYDUUALJUQWXCZPK37QYKON",
		"GAHRVRNNPCSU5STYLVMAOUPDSRBBVGFBI77LDESCSIT22HSKFKVVMKYR",
		5_000_000, 5*time.Minute)
	if err := offer.Validate(); err != nil {
		panic(err)
	}
	required, err := x402.EncodeRequired(x402.PaymentRequired{
		X402Version: x402.Version,
		Resource:    x402.ResourceInfo{URL: "http://example.onion/video.mp4"},
		Accepts:     []x402.Requirements{offer},
	})
	if err != nil {
		panic(err)
	}
	_ = required // → the 402's PAYMENT-REQUIRED header

	// A client that lowers the price in its copy of the offer.
	cheat := offer
	cheat.Amount = "1"
	sig, _ := x402.EncodeSignature(x402.PaymentPayload{
		X402Version: x402.Version,
		Accepted:    cheat,
		Payload:     x402.ExactPayload{Transaction: "AAAAAgAAAAA="},
	})

	p, err := x402.DecodeSignature(sig)
	if err != nil {
		panic(err)
	}
	err = x402.Check(offer, p)
	fmt.Println(x402.Reason(err))
	// Output:
	// invalid_exact_stellar_payload_wrong_amount
}
