package payreq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is an amount of a Stellar asset in stroops (10^-7 units), the
// unit the network itself counts in. Every amount a payment request names
// is one, parsed and formatted here only, so a price, a stored request and
// a verified payment cannot disagree about rounding.
type Amount int64

// StroopsPerUnit is the number of stroops in one unit of an asset.
const StroopsPerUnit = 10_000_000

// ErrBadAmount means a decimal amount is malformed, has more than 7
// places, or does not fit in int64 stroops.
var ErrBadAmount = errors.New("payreq: amount must be a non-negative decimal with at most 7 places")

// ParseAmount parses a decimal amount ("2.5", "12", "0.0000001") exactly.
// Signs, exponents and more than 7 places are refused; zero is not (Terms
// and Verify refuse a zero price where it matters).
func ParseAmount(s string) (Amount, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 7 || (dot && frac == "") || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%w, not %q", ErrBadAmount, s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64) // ≤ 12 digits: fits
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
	}
	if w > (1<<63-1-f)/StroopsPerUnit {
		return 0, fmt.Errorf("%w, not %q (too large)", ErrBadAmount, s)
	}
	return Amount(w*StroopsPerUnit + f), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the shortest exact decimal ("2.5", "3", "0.0000001"):
// what a person wrote as a price comes back the same in SEP-7 links.
func (a Amount) String() string {
	sign, v := "", int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	s := sign + strconv.FormatInt(v/StroopsPerUnit, 10)
	if f := v % StroopsPerUnit; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%07d", f), "0")
	}
	return s
}

// MarshalText writes the amount as String does (a JSON string).
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the amount as ParseAmount does.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
