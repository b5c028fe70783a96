package paymentauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// writeString writes s as RFC 8785 section 3.2.2.2 says: only '"', '\' and
// the control characters are escaped, with \b \t \n \f \r where JSON has
// them and \u00xx (lower-case hex) otherwise. Unlike encoding/json, '<',
// '>', '&' and U+2028 stay as they are.
func writeString(out *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case '\b':
			out.WriteString(`\b`)
		case '\t':
			out.WriteString(`\t`)
		case '\n':
			out.WriteString(`\n`)
		case '\f':
			out.WriteString(`\f`)
		case '\r':
			out.WriteString(`\r`)
		default:
			if c < 0x20 {
				out.WriteString(`\u00`)
				out.WriteByte(hex[c>>4])
				out.WriteByte(hex[c&0xf])
			} else {
				out.WriteByte(c)
			}
		}
	}
	out.WriteByte('"')
}

// formatNumber prints n as ECMAScript's Number.prototype.toString does
// (RFC 8785 section 3.2.2.3): the shortest digits that round-trip, plain
// notation for exponents from -7 to 20, "e+"/"e-" otherwise, and -0 as 0.
func formatNumber(n json.Number) (string, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("%w: number %s is not an IEEE 754 double", ErrJCS, n)
	}
	if f == 0 {
		return "0", nil
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// 'e' with precision -1 gives the shortest round-tripping digits d.ddd
	// and the exponent; lay them out again by ECMAScript's rules.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	k, pos := len(digits), exp+1 // pos: where the decimal point goes
	var s string
	switch {
	case k <= pos && pos <= 21:
		s = digits + strings.Repeat("0", pos-k)
	case 0 < pos && pos <= 21:
		s = digits[:pos] + "." + digits[pos:]
	case -6 < pos && pos <= 0:
		s = "0." + strings.Repeat("0", -pos) + digits
	default:
		s = digits[:1]
		if k > 1 {
			s += "." + digits[1:]
		}
		if pos-1 >= 0 {
			s += "e+" + strconv.Itoa(pos-1)
		} else {
			s += "e-" + strconv.Itoa(1-pos)
		}
	}
	return sign + s, nil
}

// checkSurrogates refuses \uD800–\uDFFF escapes that do not form a pair:
// encoding/json would quietly turn them into U+FFFD, and RFC 8785 (I-JSON)
// forbids them. Backslashes occur only inside strings in valid JSON, so a
// scan of escapes needs no string tracking; anything else malformed is left
// for the decoder to refuse.
func checkSurrogates(in []byte) error {
	for i := 0; i < len(in); i++ {
		if in[i] != '\\' || i+1 >= len(in) {
			continue
		}
		if in[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		u, ok := hex4(in, i+2)
		i += 5
		switch {
		case !ok || u < 0xd800 || u > 0xdfff:
		case u >= 0xdc00:
			return fmt.Errorf("%w: lone low surrogate", ErrJCS)
		default:
			lo, ok := uint32(0), false
			if i+2 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
				lo, ok = hex4(in, i+3)
			}
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return fmt.Errorf("%w: lone high surrogate", ErrJCS)
			}
			i += 6
		}
	}
	return nil
}

func hex4(in []byte, at int) (uint32, bool) {
	if at+4 > len(in) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(in[at:at+4]), 16, 32)
	return uint32(v), err == nil
}
