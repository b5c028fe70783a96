package payreq

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		err  error
		text string // String of the result, when it differs from in
	}{
		{in: "2.5", want: 25_000_000},
		{in: "0.0000001", want: 1},
		{in: "12", want: 120_000_000},
		{in: "1.5000000", want: 15_000_000, text: "1.5"},
		{in: "0", want: 0},
		{in: "922337203685.4775807", want: 1<<63 - 1},
		{in: "922337203685.4775808", err: ErrBadAmount},
		{in: "1.00000001", err: ErrBadAmount},
		{in: "-1", err: ErrBadAmount},
		{in: "+1", err: ErrBadAmount},
		{in: "1e3", err: ErrBadAmount},
		{in: ".5", err: ErrBadAmount},
		{in: "5.", err: ErrBadAmount},
		{in: "", err: ErrBadAmount},
		{in: "1 000", err: ErrBadAmount},
		{in: "1000000000000", err: ErrBadAmount},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
			}
			if err != nil {
				return
			}
			want := tc.text
			if want == "" {
				want = tc.in
			}
			if got.String() != want {
				t.Fatalf("String() = %q, want %q", got.String(), want)
			}
		})
	}
}

// TestRequestJSONRefusesBadAmountAndID: a request read from a challenge
// carries an exact amount and id, or none at all.
func TestRequestJSONRefusesBadAmountAndID(t *testing.T) {
	id := NewID().String()
	tests := []struct {
		name string
		js   string
		want error
	}{
		{"good", `{"id":"` + id + `","amount":"1.5"}`, nil},
		{"8 decimals", `{"id":"` + id + `","amount":"1.00000001"}`, ErrBadAmount},
		{"number not string", `{"id":"` + id + `","amount":1.5}`, nil}, // json refuses a number for a TextUnmarshaler: checked below
		{"upper-case id", `{"id":"` + string(append([]byte("AB"), id[2:]...)) + `","amount":"1"}`, ErrMalformed},
		{"short id", `{"id":"abcd","amount":"1"}`, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			err := json.Unmarshal([]byte(tc.js), &r)
			if tc.name == "number not string" {
				if err == nil {
					t.Fatal("a JSON number was taken as an amount")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Unmarshal = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"2.5", "0.0000001", "1.00000001", "-1", "999999999999.9999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if b, err := ParseAmount(a.String()); err != nil || b != a {
			t.Fatalf("%q → %d → %q → %d, %v", s, a, a.String(), b, err)
		}
	})
}
