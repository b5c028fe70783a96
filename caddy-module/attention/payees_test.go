package attention

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
)

func TestParsePayeeRule(t *testing.T) {
	a, b := keypair.MustRandom().Address(), keypair.MustRandom().Address()
	tests := []struct {
		in     string
		want   PayeeRule
		reason string // in the error; "" for none
	}{
		{"/articles/ " + a, PayeeRule{"/articles/", []PayeeWeight{{a, 1}}}, ""},
		{"/blog/*.html " + a + ":2 " + b + ":1", PayeeRule{"/blog/*.html", []PayeeWeight{{a, 2}, {b, 1}}}, ""},
		{"/articles/", PayeeRule{}, "at least one account"},
		{"articles/ " + a, PayeeRule{}, "must start with /"},
		{"/[ " + a, PayeeRule{}, "syntax error"},
		{"/a/ " + a + ":0", PayeeRule{}, "weight"},
		{"/a/ " + a + ":1000001", PayeeRule{}, "weight"},
		{"/a/ " + a + ":x", PayeeRule{}, "weight"},
		{"/a/ GNOTANACCOUNT", PayeeRule{}, "not a Stellar account"},
		{"/a/ " + keypair.MustRandom().Seed(), PayeeRule{}, "not a Stellar account"},
		{"/a/ " + a + " " + a + ":3", PayeeRule{}, "appears twice"},
	}
	for _, tt := range tests {
		got, err := ParsePayeeRule(strings.Fields(tt.in))
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.reason != "" && (!errors.Is(err, ErrBadPayee) || !strings.Contains(err.Error(), tt.reason)):
			t.Errorf("%q: error %v, want ErrBadPayee with %q", tt.in, err, tt.reason)
		case tt.reason == "" && !reflect.DeepEqual(got, tt.want):
			t.Errorf("%q = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestPayeeRuleMatches(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/articles/", "/articles/a.html", true},
		{"/articles/", "/articles/deep/b.html", true},
		{"/articles/", "/articlesx.html", false},
		{"/blog/*.html", "/blog/a.html", true},
		{"/blog/*.html", "/blog/x/a.html", false},
		{"/about.html", "/about.html", true},
		{"/about.html", "/about.htm", false},
	}
	for _, tt := range tests {
		if got := (PayeeRule{Pattern: tt.pattern}).Matches(tt.path); got != tt.want {
			t.Errorf("%s matches %s = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// FuzzParsePayeeRule: a rule from a Caddyfile or the command line never
// panics, and a rule that parses validates.
func FuzzParsePayeeRule(f *testing.F) {
	a := keypair.MustRandom().Address()
	for _, s := range []string{"/articles/ " + a, "/b/*.html " + a + ":2", "/ " + a + ":999999", "/[ x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePayeeRule(strings.Fields(s))
		if err == nil {
			if err := r.Validate(); err != nil {
				t.Fatalf("%q parsed but does not validate: %v", s, err)
			}
		}
	})
}
