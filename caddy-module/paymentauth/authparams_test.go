package paymentauth

import (
	"encoding/base64"
	"errors"
	"reflect"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	ours := testChallenge(t, true)
	ours.Description = `say "hi" \ bye`
	tests := []struct {
		name, header string
		want         []Challenge
	}{
		{"ours", ours.String(), []Challenge{ours}},
		{"among other schemes",
			`Basic realm="x", Negotiate abc==, Payment id="a", realm="r", method="stellar", intent="charge", request="e30", Bearer tok, Payment id=b,realm=r2,method=stellar,intent=charge,request=e30,future="ignored"`,
			[]Challenge{
				{ID: "a", Realm: "r", Method: "stellar", Intent: "charge", Request: "e30"},
				{ID: "b", Realm: "r2", Method: "stellar", Intent: "charge", Request: "e30"},
			}},
		{"case-insensitive names", `payment ID="a", Realm="r"`, []Challenge{{ID: "a", Realm: "r"}}},
		{"no Payment challenge", `Basic realm="x"`, nil},
		{"spaces around =", `Payment id = "a" , realm= r`, []Challenge{{ID: "a", Realm: "r"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenges(tt.header)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseChallenges = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseChallengesRefuses(t *testing.T) {
	tests := []struct{ name, header string }{
		{"no id", `Payment realm="r", method="stellar"`},
		{"empty id", `Payment id="", realm="r"`},
		{"unterminated quoted-string", `Payment id="abc`},
		{"newline in quoted-string", "Payment id=\"a\nb\""},
		{"escaped control in quoted-string", "Payment id=\"\\\x06\""}, // found by FuzzParseChallenges
		{"empty value", `Payment id=, realm="r"`},
		{"stray character", `Payment id="a" ; realm="r"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseChallenges(tt.header); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseChallenges = %+v, %v; want ErrMalformed", got, err)
			}
		})
	}
}

// TestChargeRequest: what a client reads from a challenge it parsed, and
// what it refuses to pay.
func TestChargeRequest(t *testing.T) {
	good := testChallenge(t, true)
	bad := testRequest(true)
	bad.Currency = testPayee // bypasses Issuer's checks, as a hostile site would
	raw, _ := MarshalCanonical(bad)
	tests := []struct {
		name   string
		change func(c *Challenge)
		want   error
	}{
		{"ours", func(c *Challenge) {}, nil},
		{"other method", func(c *Challenge) { c.Method = "tempo" }, ErrMethod},
		{"request not base64url", func(c *Challenge) { c.Request = "e30=+" }, ErrMalformed},
		{"request not an object", func(c *Challenge) { c.Request = "WzFd" }, ErrMalformed},
		{"amount as a number", func(c *Challenge) { c.Request = "eyJhbW91bnQiOjV9" }, ErrMalformed},
		{"account as currency", func(c *Challenge) { c.Request = b64url(raw) }, ErrRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			r, err := c.ChargeRequest()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ChargeRequest = %+v, %v; want %v", r, err, tt.want)
			}
			if err == nil && r != testRequest(true) {
				t.Fatalf("ChargeRequest = %+v", r)
			}
		})
	}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
