package paymentauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseCredential feeds Authorization values a hostile client could
// send. A credential that parses must survive a round trip, and Verify must
// refuse anything but a genuine challenge of ours.
func FuzzParseCredential(f *testing.F) {
	genuine := []Challenge{testChallenge(f, true), testChallenge(f, false)}
	f.Add(Credential{Challenge: genuine[0], Payload: Payload{Type: PayloadTransaction, Transaction: testTx}}.String())
	f.Add(Credential{Challenge: genuine[1], Payload: Payload{Type: PayloadHash, Hash: testHash}}.String())
	f.Add("Payment " + base64.RawURLEncoding.EncodeToString([]byte(`{"challenge":{"id":"x"},"payload":{"type":"hash"}}`)))
	f.Add("payment e30")
	f.Add("Payment")
	is := testIssuer(f)
	f.Fuzz(func(t *testing.T, h string) {
		cred, err := ParseCredential(h)
		if err != nil {
			return
		}
		again, err := ParseCredential(cred.String())
		if err != nil || again != cred {
			t.Fatalf("round trip changed %+v into %+v (%v)", cred, again, err)
		}
		if _, err := is.Verify(cred, t0); err == nil && !issued(genuine, cred.Challenge) {
			t.Fatalf("Verify accepted a challenge we never issued: %+v", cred.Challenge)
		}
	})
}

// issued reports whether c is one of the genuine challenges but for its
// description, the one parameter the id does not bind.
func issued(genuine []Challenge, c Challenge) bool {
	for _, g := range genuine {
		g.Description = c.Description
		if g == c {
			return true
		}
	}
	return false
}

// FuzzParseChallenges feeds WWW-Authenticate values a hostile site could
// send to our paying client. What parses must print and parse back the same.
func FuzzParseChallenges(f *testing.F) {
	f.Add(testChallenge(f, true).String())
	f.Add(`Basic realm="x", Negotiate abc==, Payment id="a", realm="r", request=e30, Payment id=b`)
	f.Add(`Payment id="a\"b\\", description="x"`)
	f.Add(`Payment id="`)
	f.Fuzz(func(t *testing.T, h string) {
		cs, err := ParseChallenges(h)
		if err != nil {
			return
		}
		for _, c := range cs {
			_, _ = c.ChargeRequest()
			again, err := ParseChallenges(c.String())
			if err != nil || len(again) != 1 || again[0] != normalised(c) {
				t.Fatalf("%q: challenge %+v prints as %q, which parses as %+v (%v)", h, c, c.String(), again, err)
			}
		}
	})
}

// normalised is c as String writes it: controls a header cannot carry are
// dropped.
func normalised(c Challenge) Challenge {
	for _, p := range []*string{&c.ID, &c.Realm, &c.Method, &c.Intent, &c.Request, &c.Expires, &c.Digest, &c.Opaque, &c.Description} {
		*p = dropControls(*p)
	}
	return c
}

func dropControls(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if (s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// FuzzCanonicalize checks the canonicaliser on any input: what it accepts
// is valid JSON, meaning the same as the input, and canonical already.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range canonInputs {
		f.Add([]byte(s))
	}
	f.Add([]byte(`"\ud800"`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`[1e400]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(in)
		if err != nil {
			return
		}
		again, err := Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("%q canonicalises to %q, then to %q (%v)", in, out, again, err)
		}
		var a, b any
		if err := json.Unmarshal(in, &a); err != nil {
			t.Fatalf("accepted invalid JSON %q: %v", in, err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("produced invalid JSON %q: %v", out, err)
		}
		if !reflect.DeepEqual(a, b) { // float64 compares -0 equal to 0, as JCS does
			t.Fatalf("%q changed meaning: %v vs %v", in, a, b)
		}
	})
}

// FuzzParseReceipt feeds Payment-Receipt values to our client's parser.
func FuzzParseReceipt(f *testing.F) {
	f.Add(NewReceipt(testRequest(true), testHash, t0).String())
	f.Add("e30")
	f.Fuzz(func(t *testing.T, h string) {
		r, err := ParseReceipt(h)
		if err != nil {
			return
		}
		if again, err := ParseReceipt(r.String()); err != nil || again != r {
			t.Fatalf("round trip changed %+v into %+v (%v)", r, again, err)
		}
	})
}
