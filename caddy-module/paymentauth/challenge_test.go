package paymentauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewIssuerRefuses(t *testing.T) {
	if _, err := NewIssuer(testRealm, []byte("short")); !errors.Is(err, ErrSecret) {
		t.Fatalf("short secret: %v, want ErrSecret", err)
	}
	if _, err := NewIssuer(`a"b`, []byte(testSecret)); err == nil {
		t.Fatal("a realm with a quote was accepted")
	}
}

// TestSecretRotation: after a rotation, challenges bound by the old secret
// still verify while the Issuer keeps it, and new ones use the new secret.
func TestSecretRotation(t *testing.T) {
	next := []byte(testSecret + ", rotated")
	rotated, err := NewIssuer(testRealm, next, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	forgot, err := NewIssuer(testRealm, next)
	if err != nil {
		t.Fatal(err)
	}
	cred := Credential{Challenge: testChallenge(t, true), Payload: Payload{Type: PayloadTransaction, Transaction: testTx}}
	if _, err := rotated.Verify(cred, t0); err != nil {
		t.Fatalf("old challenge after rotation: %v", err)
	}
	if _, err := forgot.Verify(cred, t0); !errors.Is(err, ErrBinding) {
		t.Fatalf("old challenge, old secret dropped: %v, want ErrBinding", err)
	}
	fresh, err := rotated.Challenge(testRequest(true), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgot.Verify(Credential{Challenge: fresh, Payload: cred.Payload}, t0); err != nil {
		t.Fatalf("new challenge is not bound by the new secret: %v", err)
	}
	if _, err := NewIssuer(testRealm, next, []byte("short")); !errors.Is(err, ErrSecret) {
		t.Fatalf("short previous secret: %v, want ErrSecret", err)
	}
}

// TestVerifyRefusesAlteredChallenges alters one field of a genuine
// challenge at a time and checks which refusal comes back.
func TestVerifyRefusesAlteredChallenges(t *testing.T) {
	other, err := NewIssuer(testRealm, []byte(testSecret+" but another"))
	if err != nil {
		t.Fatal(err)
	}
	cheaper := testRequest(true)
	cheaper.Amount = 1
	cheapReq, _ := encodeRequest(cheaper)
	foreign, _ := other.Challenge(testRequest(true), t0.Add(5*time.Minute))
	tests := []struct {
		name   string
		change func(c *Challenge)
		now    time.Time
		want   error
	}{
		{"genuine", func(c *Challenge) {}, t0, nil},
		{"description is not bound", func(c *Challenge) { c.Description = "anything" }, t0, nil},
		{"id", func(c *Challenge) { c.ID = c.ID[:len(c.ID)-2] + "AA" }, t0, ErrBinding},
		{"request: lower amount", func(c *Challenge) { c.Request = cheapReq }, t0, ErrBinding},
		{"expires: later", func(c *Challenge) { c.Expires = t0.Add(time.Hour).Format(time.RFC3339) }, t0, ErrBinding},
		{"expires: removed", func(c *Challenge) { c.Expires = "" }, t0, ErrBinding},
		{"digest: added", func(c *Challenge) { c.Digest = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:" }, t0, ErrBinding},
		{"opaque: added", func(c *Challenge) { c.Opaque = "e30" }, t0, ErrBinding},
		{"made with another secret", func(c *Challenge) { *c = foreign }, t0, ErrBinding},
		{"other realm", func(c *Challenge) { c.Realm = "other.onion" }, t0, ErrRealm},
		{"other method", func(c *Challenge) { c.Method = "tempo" }, t0, ErrMethod},
		{"other intent", func(c *Challenge) { c.Intent = "session" }, t0, ErrMethod},
		{"expired", func(c *Challenge) {}, t0.Add(5 * time.Minute), ErrExpired},
		{"long expired", func(c *Challenge) {}, t0.Add(24 * time.Hour), ErrExpired},
	}
	is := testIssuer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testChallenge(t, true)
			tt.change(&c)
			cred := Credential{Challenge: c, Payload: Payload{Type: PayloadTransaction, Transaction: testTx}}
			// Through the wire, as a client would send it.
			parsed, err := ParseCredential(cred.String())
			if err != nil {
				t.Fatalf("ParseCredential: %v", err)
			}
			r, err := is.Verify(parsed, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err == nil && !reflect.DeepEqual(r, testRequest(true)) {
				t.Fatalf("Verify returned %+v, want %+v", r, testRequest(true))
			}
		})
	}
}

func TestVerifyPayloadMode(t *testing.T) {
	is := testIssuer(t)
	tests := []struct {
		name     string
		feePayer bool
		payload  Payload
		want     error
	}{
		{"pull, sponsored", true, Payload{Type: PayloadTransaction, Transaction: testTx}, nil},
		{"pull, unsponsored", false, Payload{Type: PayloadTransaction, Transaction: testTx}, nil},
		{"push, unsponsored", false, Payload{Type: PayloadHash, Hash: testHash}, nil},
		{"push answering a sponsored challenge", true, Payload{Type: PayloadHash, Hash: testHash}, ErrPayloadType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := Credential{Challenge: testChallenge(t, tt.feePayer), Payload: tt.payload}
			_, err := is.Verify(cred, t0)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestChallengeRequestIsCanonical: the request parameter is base64url
// without padding of the JCS form, as the id binding requires.
func TestChallengeRequestIsCanonical(t *testing.T) {
	c := testChallenge(t, true)
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c.Request)
	if err != nil {
		t.Fatalf("request %q is not unpadded base64url: %v", c.Request, err)
	}
	canon, err := Canonicalize(raw)
	if err != nil || string(canon) != string(raw) {
		t.Fatalf("request JSON %s is not canonical (%s, %v)", raw, canon, err)
	}
	want := `{"amount":"5000000","currency":"` + testSAC + `","description":"Round 2: 50 MB für 0,5 TPT <ok> & more","externalId":"req-42","methodDetails":{"feePayer":true,"network":"stellar:testnet"},"recipient":"` + testPayee + `"}`
	if string(raw) != want {
		t.Fatalf("request JSON\n%s\nwant\n%s", raw, want)
	}
}

func TestChallengeRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Request)
	}{
		{"negative amount", func(r *Request) { r.Amount = -1 }},
		{"unknown network", func(r *Request) { r.MethodDetails.Network = "stellar:futurenet" }},
		{"passphrase as network", func(r *Request) { r.MethodDetails.Network = "Test SDF Network ; September 2015" }},
		{"asset code as currency", func(r *Request) { r.Currency = "TPT" }},
		{"account as currency", func(r *Request) { r.Currency = testPayee }},
		{"no recipient", func(r *Request) { r.Recipient = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRequest(true)
			tt.change(&r)
			if _, err := testIssuer(t).Challenge(r, t0); !errors.Is(err, ErrRequest) {
				t.Fatalf("Challenge = %v, want ErrRequest", err)
			}
		})
	}
}

// TestNetworkID: the public and test networks by their CAIP-2 ids, a
// private one by its network id's first 32 hex digits; a charge request
// names one of those or is refused.
func TestNetworkID(t *testing.T) {
	for pass, want := range map[string]string{
		"Test SDF Network ; September 2015":              "stellar:testnet",
		"Public Global Stellar Network ; September 2015": "stellar:pubnet",
		"TorPlus Test Network ; 2026":                    "stellar:" + hexPrefix("TorPlus Test Network ; 2026"),
	} {
		if got := NetworkID(pass); got != want {
			t.Errorf("NetworkID(%q) = %q, want %q", pass, got, want)
		}
	}
	r := Request{Amount: 1, Currency: testSAC, Recipient: testPayee}
	for n, ok := range map[string]bool{"stellar:testnet": true, NetworkID("x"): true, "stellar:futurenet": false,
		"stellar:" + strings.Repeat("A", 32): false, "eip155:1": false, "": false} {
		r.MethodDetails.Network = n
		if err := r.Validate(); (err == nil) != ok || (err != nil && !errors.Is(err, ErrRequest)) {
			t.Errorf("network %q: Validate = %v", n, err)
		}
	}
}

func hexPrefix(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:16])
}
