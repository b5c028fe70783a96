package paymentauth

import (
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
