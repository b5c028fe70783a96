package paymentauth

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestCanonicalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// RFC 8785 section 3.2.2 (the sample input and its canonical form).
		{"rfc8785 sample",
			`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		// RFC 8785 section 3.2.3: sorting by UTF-16 code units.
		{"rfc8785 sorting",
			`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			`{"\r":"Carriage Return","1":"One","` + "\u0080" + `":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","` + "\ufb33" + `":"Hebrew Letter Dalet With Dagesh"}`},
		{"whitespace and nesting", " { \"b\" : [ 1 , { \"d\":1,\"c\":2 } ] ,\n\"a\":\"x\" } ", `{"a":"x","b":[1,{"c":2,"d":1}]}`},
		{"html characters stay", `{"s":"<a href='x'>&amp;</a>\u2028"}`, "{\"s\":\"<a href='x'>&amp;</a>\u2028\"}"},
		{"control characters", `"\u0001\u001f\b\t\n\f\r\u007f"`, "\"\\u0001\\u001f\\b\\t\\n\\f\\r\u007f\""},
		{"negative zero", `-0.0`, `0`},
		{"integers stay plain to 1e21", `[1e20,1e21,123456789012345678901]`, `[100000000000000000000,1e+21,123456789012345680000]`},
		{"small numbers", `[1e-6,1e-7,-0.5,0.1]`, `[0.000001,1e-7,-0.5,0.1]`},
		{"our request", `{"recipient":"G","amount":"5000000","methodDetails":{"network":"stellar:testnet","feePayer":true},"currency":"C"}`,
			`{"amount":"5000000","currency":"C","methodDetails":{"feePayer":true,"network":"stellar:testnet"},"recipient":"G"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("Canonicalize = %s, %v\nwant          %s", got, err, tt.want)
			}
			again, err := Canonicalize(got)
			if err != nil || string(again) != string(got) {
				t.Fatalf("not idempotent: %s, %v", again, err)
			}
		})
	}
}

// TestFormatNumber checks numbers against the IEEE 754 examples of RFC 8785
// appendix B (bit pattern and the expected ECMAScript string).
func TestFormatNumber(t *testing.T) {
	tests := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range tests {
		f := math.Float64frombits(tt.bits)
		got, err := Canonicalize([]byte(strconv.FormatFloat(f, 'g', -1, 64)))
		if err != nil || string(got) != tt.want {
			t.Errorf("%#016x: got %s, %v; want %s", tt.bits, got, err, tt.want)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"invalid UTF-8", "\"\xff\""},
		{"lone high surrogate", `"\ud800"`},
		{"lone high surrogate before text", `"\ud800abc"`},
		{"lone low surrogate", `"\udc00"`},
		{"reversed pair", `"\ude00\ud83d"`},
		{"duplicate member", `{"a":1,"a":2}`},
		{"number out of range", `1e400`},
		{"two values", `{} {}`},
		{"trailing comma", `[1,]`},
		{"empty", ``},
		{"too deep", repeat("[", 40) + repeat("]", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Canonicalize([]byte(tt.in)); !errors.Is(err, ErrJCS) {
				t.Fatalf("Canonicalize(%q) = %s, %v; want ErrJCS", tt.in, got, err)
			}
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
