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
