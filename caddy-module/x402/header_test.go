package x402

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	pr := PaymentRequired{
		X402Version: Version,
		Error:       "PAYMENT-SIGNATURE header is required",
		Resource:    ResourceInfo{URL: "http://example.onion/page"},
		Accepts:     []Requirements{offer()},
	}
	h, err := EncodeRequired(pr)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeRequired(h); err != nil || !reflect.DeepEqual(got, pr) {
		t.Fatalf("DecodeRequired = %+v, %v; want %+v", got, err, pr)
	}
	p := paying(offer())
	h, err = EncodeSignature(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeSignature(h); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("DecodeSignature = %+v, %v; want %+v", got, err, p)
	}
	s := SettlementResponse{Success: true, Transaction: strings.Repeat("ab", 32), Network: NetworkTestnet, Payer: otherAcct}
	h, err = EncodeResponse(s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeResponse(h); err != nil || got != s {
		t.Fatalf("DecodeResponse = %+v, %v; want %+v", got, err, s)
	}
}

// TestDecodeSignatureRefuses checks which error each kind of bad header gets.
func TestDecodeSignatureRefuses(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	good, _ := EncodeSignature(paying(offer()))
	std := b64([]byte(`{"x402Version":2,"d":"???>>>"}`)) // "Pz8/" and "Pj4+" inside
	if !strings.ContainsAny(std, "+/") {
		t.Fatalf("fixture %q has no character that differs in base64url", std)
	}
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(std)
	tests := []struct {
		name, header string
		want         error
	}{
		{"unpadded base64 is accepted", strings.TrimRight(good, "="), nil},
		{"surrounding spaces are accepted", " " + good + " ", nil},
		{"empty", "", ErrMalformed},
		{"not base64", "not base64!", ErrMalformed},
		{"base64url alphabet", urlSafe, ErrMalformed},
		{"a JSON array", b64([]byte(`[{"x402Version":2}]`)), ErrMalformed},
		{"a JSON string", b64([]byte(`"x402"`)), ErrMalformed},
		{"truncated JSON", b64([]byte(`{"x402Version":2,`)), ErrMalformed},
		{"two objects", b64([]byte(`{"x402Version":2}{"x402Version":2}`)), ErrMalformed},
		{"amount as a number", b64([]byte(`{"x402Version":2,"accepted":{"amount":5000000}}`)), ErrMalformed},
		{"version 1", b64([]byte(`{"x402Version":1,"scheme":"exact","network":"stellar-testnet","payload":{}}`)), ErrVersion},
		{"no version", b64([]byte(`{"accepted":{},"payload":{}}`)), ErrVersion},
		{"too large", strings.Repeat("A", MaxHeaderBytes+4), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSignature(tt.header)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("DecodeSignature = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeRequiredRefusesVersion1(t *testing.T) {
	h := base64.StdEncoding.EncodeToString([]byte(`{"x402Version":1,"accepts":[]}`))
	if _, err := DecodeRequired(h); !errors.Is(err, ErrVersion) {
		t.Fatalf("DecodeRequired = %v, want ErrVersion", err)
	}
}
