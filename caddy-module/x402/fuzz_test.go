package x402

import (
	"encoding/base64"
	"reflect"
	"testing"
)

// FuzzDecodeSignature feeds PAYMENT-SIGNATURE values a hostile client could
// send. Whatever decodes must re-encode and decode to the same payload, and
// Check must answer without panicking.
func FuzzDecodeSignature(f *testing.F) {
	good, _ := EncodeSignature(paying(offer()))
	f.Add(good)
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"x402Version":2,"accepted":{"amount":"1e9"},"payload":{"transaction":"AA=="}}`)))
	f.Add(base64.RawStdEncoding.EncodeToString([]byte(`{"x402Version":2}`)))
	f.Add("e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := DecodeSignature(h)
		if err != nil {
			return
		}
		_ = Check(offer(), p)
		again, err := EncodeSignature(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		// Compare encodings, not values: raw extensions come back compacted.
		q, err := DecodeSignature(again)
		if err != nil {
			t.Fatalf("our own encoding of %+v does not decode: %v", p, err)
		}
		if third, _ := EncodeSignature(q); third != again || !reflect.DeepEqual(p.Accepted, q.Accepted) {
			t.Fatalf("round trip changed %+v into %+v", p, q)
		}
	})
}

// FuzzDecodeRequired feeds PAYMENT-REQUIRED values a hostile site could
// send to our paying client.
func FuzzDecodeRequired(f *testing.F) {
	good, _ := EncodeRequired(testMessages().Required)
	f.Add(good)
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"x402Version":2,"accepts":[{"maxTimeoutSeconds":1e99}]}`)))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"x402Version":2,"extensions":{"a":[1,2]}}`)))
	f.Fuzz(func(t *testing.T, h string) {
		pr, err := DecodeRequired(h)
		if err != nil {
			return
		}
		for _, r := range pr.Accepts {
			_ = r.Validate()
		}
		if _, err := EncodeRequired(pr); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// FuzzDecodeResponse feeds PAYMENT-RESPONSE values, and facilitator
// answers, to the parser our client uses.
func FuzzDecodeResponse(f *testing.F) {
	good, _ := EncodeResponse(testMessages().Response)
	f.Add(good)
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"success":"yes"}`)))
	f.Fuzz(func(t *testing.T, h string) {
		s, err := DecodeResponse(h)
		if err != nil {
			return
		}
		again, _ := EncodeResponse(s)
		if q, err := DecodeResponse(again); err != nil || q != s {
			t.Fatalf("round trip changed %+v into %+v (%v)", s, q, err)
		}
	})
}

// FuzzParseAmount checks that every amount accepted prints back unchanged,
// so no two spellings of one amount both pass.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "5000000", "007", "-1", "9223372036854775807", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseAmount(s)
		if err == nil && FormatAmount(n) != s {
			t.Fatalf("ParseAmount(%q) = %d, which prints as %q", s, n, FormatAmount(n))
		}
	})
}

// FuzzDecodeAnswer feeds facilitator answers (a hosted facilitator is
// outside input) with any status: whatever reads as an answer under an
// error status must be a refusal, never a success.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"isValid":true,"payer":"G"}`))
	f.Add(400, []byte(`{"isValid":false,"invalidReason":"network_mismatch"}`))
	f.Add(500, []byte(`{"success":true,"transaction":"ab"}`))
	f.Add(200, []byte(`{"kinds":[{"x402Version":2,"scheme":"exact","network":"stellar:testnet","extra":{"areFeesSponsored":true}}],"signers":{"stellar:*":["G"]}}`))
	f.Add(200, []byte(`{"isValid":null,"success":"true"}`))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		var v VerifyResponse
		if err := decodeAnswer("verify", status, raw, &v, "isValid"); err == nil && status/100 != 2 && v.IsValid {
			t.Fatalf("HTTP %d %s read as valid", status, raw)
		}
		var s SettlementResponse
		if err := decodeAnswer("settle", status, raw, &s, "success"); err == nil && status/100 != 2 && s.Success {
			t.Fatalf("HTTP %d %s read as settled", status, raw)
		}
		var sup SupportedResponse
		if err := decodeAnswer("supported", status, raw, &sup, "kinds"); err == nil {
			_ = sup.Takes(SchemeExact, NetworkTestnet)
		}
	})
}
