package client

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseChallenge(t *testing.T) {
	pr := PaymentRequest{ID: strings.Repeat("0f", 32), Destination: "G", AssetCode: "TPT", AssetIssuer: "G",
		Amount: "1", NetworkPassphrase: "n", Bytes: 5, ExpiresAt: time.Unix(1_800_000_000, 0).UTC(), URI: "web+stellar:pay?x=1"}
	good := pr.Challenge()
	req := good[strings.Index(good, "request="):]
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{name: "as rendered", header: good},
		{name: "after another challenge", header: `Basic realm="x", ` + good},
		{name: "after a token68 challenge", header: `Negotiate YWJj==, ` + good},
		{name: "before another challenge", header: good + `, Bearer realm="y"`},
		{name: "unquoted values, spaces", header: `payment  id = ` + pr.ID + ` ,method=stellar, ` + strings.ReplaceAll(req, `"`, "")},
		{name: "escaped quote", header: `Payment id="` + pr.ID + `", method="st\ellar", ` + req},
		{name: "no payment challenge", header: `Basic realm="x"`, want: ErrChallenge},
		{name: "other method", header: strings.Replace(good, "stellar", "lightning", 1), want: ErrChallenge},
		{name: "id mismatch", header: strings.Replace(good, pr.ID, strings.Repeat("0e", 32), 1), want: ErrChallenge},
		{name: "bad base64", header: `Payment id="` + pr.ID + `", method="stellar", request="***"`, want: ErrChallenge},
		{name: "bad JSON", header: `Payment id="` + pr.ID + `", method="stellar", request="e30x"`, want: ErrChallenge},
		{name: "unterminated", header: `Payment id="` + pr.ID, want: ErrChallenge},
		{name: "repeated param", header: good + `, id="x"`, want: ErrChallenge},
		{name: "huge", header: good + strings.Repeat(" ", maxChallenge), want: ErrChallenge},
		{name: "empty", header: "", want: ErrChallenge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenge(tc.header)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("ParseChallenge = %+v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err != nil || got != pr {
				t.Fatalf("ParseChallenge = %+v, %v", got, err)
			}
		})
	}
}

// FuzzParseChallenge feeds arbitrary WWW-Authenticate values to the
// parser: no panic, and whatever it accepts renders back to an equal request.
func FuzzParseChallenge(f *testing.F) {
	pr := PaymentRequest{ID: strings.Repeat("0f", 32), Amount: "1", ExpiresAt: time.Unix(1_800_000_000, 0).UTC()}
	f.Add(pr.Challenge())
	f.Add(`Basic realm="x", ` + pr.Challenge())
	f.Add(`Payment id="a\"b", method=stellar`)
	f.Add(`Negotiate abc==, Payment`)
	f.Fuzz(func(t *testing.T, header string) {
		got, err := ParseChallenge(header)
		if err != nil {
			if !errors.Is(err, ErrChallenge) {
				t.Fatalf("error %v is not ErrChallenge", err)
			}
			return
		}
		again, err := ParseChallenge(got.Challenge())
		if err != nil || again.ID != got.ID || again.Amount != got.Amount || !again.ExpiresAt.Equal(got.ExpiresAt) {
			t.Fatalf("round trip: %+v → %+v, %v", got, again, err)
		}
	})
}
