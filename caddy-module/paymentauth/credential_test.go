package paymentauth

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCredentialRoundTrip(t *testing.T) {
	for _, p := range []Payload{{Type: PayloadTransaction, Transaction: testTx}, {Type: PayloadHash, Hash: testHash}} {
		want := Credential{Challenge: testChallenge(t, false), Source: "did:pkh:stellar:testnet:" + testPayee, Payload: p}
		got, err := ParseCredential(want.String())
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseCredential = %+v, %v; want %+v", got, err, want)
		}
	}
}

// TestParseCredentialRefuses checks which error each kind of bad
// Authorization value gets.
func TestParseCredentialRefuses(t *testing.T) {
	enc := func(json string) string { return "Payment " + base64.RawURLEncoding.EncodeToString([]byte(json)) }
	c := testChallenge(t, false)
	ch := `{"id":"` + c.ID + `","realm":"r","method":"stellar","intent":"charge","request":"e30"}`
	good := Credential{Challenge: c, Payload: Payload{Type: PayloadTransaction, Transaction: testTx}}.String()
	tests := []struct {
		name, header string
		want         error
	}{
		{"lower-case scheme", "payment" + strings.TrimPrefix(good, "Payment"), nil},
		{"padded base64url", good + strings.Repeat("=", (4-len(good[8:])%4)%4), nil},
		{"several spaces", "Payment   " + good[8:], nil},
		{"empty", "", ErrMalformed},
		{"other scheme", "Bearer " + good[8:], ErrMalformed},
		{"no token", "Payment", ErrMalformed},
		{"no token after space", "Payment ", ErrMalformed},
		{"standard base64 alphabet", "Payment " + base64.StdEncoding.EncodeToString([]byte(`{"d":"???>>>"}`)), ErrMalformed},
		{"not base64", "Payment !!!", ErrMalformed},
		{"JSON array", enc(`[` + ch + `]`), ErrMalformed},
		{"truncated JSON", enc(`{"challenge":` + ch), ErrMalformed},
		{"trailing object", enc(`{"challenge":` + ch + `,"payload":{"type":"hash","hash":"` + testHash + `"}}{}`), ErrMalformed},
		{"challenge as a string", enc(`{"challenge":"` + c.ID + `","payload":{"type":"hash","hash":"` + testHash + `"}}`), ErrMalformed},
		{"no challenge id", enc(`{"challenge":{"realm":"r"},"payload":{"type":"hash","hash":"` + testHash + `"}}`), ErrMalformed},
		{"no payload", enc(`{"challenge":` + ch + `}`), ErrPayloadType},
		{"unknown payload type", enc(`{"challenge":` + ch + `,"payload":{"type":"signature","signature":"0x1b"}}`), ErrPayloadType},
		{"transaction not base64", enc(`{"challenge":` + ch + `,"payload":{"type":"transaction","transaction":"AAAA-_"}}`), ErrMalformed},
		{"empty transaction", enc(`{"challenge":` + ch + `,"payload":{"type":"transaction","transaction":""}}`), ErrMalformed},
		{"transaction with a hash", enc(`{"challenge":` + ch + `,"payload":{"type":"transaction","transaction":"AAAA","hash":"` + testHash + `"}}`), ErrMalformed},
		{"short hash", enc(`{"challenge":` + ch + `,"payload":{"type":"hash","hash":"abcd"}}`), ErrMalformed},
		{"upper-case hash", enc(`{"challenge":` + ch + `,"payload":{"type":"hash","hash":"` + strings.ToUpper(testHash) + `"}}`), ErrMalformed},
		{"hash with a transaction", enc(`{"challenge":` + ch + `,"payload":{"type":"hash","hash":"` + testHash + `","transaction":"AAAA"}}`), ErrMalformed},
		{"too large", "Payment " + strings.Repeat("A", MaxHeaderBytes), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredential(tt.header)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ParseCredential = %v, want %v", err, tt.want)
			}
		})
	}
}
