// Package revenue splits a site's income for a period by attention share
// per page, and signs and verifies the resulting report.
//
// Income is the paid payment requests of the period (from the ledger) plus
// an optional pool amount the operator enters. All arithmetic is exact, in
// int64 stroops (1 unit = 10,000,000 stroops, as on Stellar); a page gets
// floor(income × its visible time ÷ all visible time) stroops, and the
// stroops left over by rounding down (fewer than there are pages) go one
// each to the pages with the largest remainders, ties to the earlier path:
// the parts always sum to the whole.
package revenue

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is an amount of an asset in stroops (10^-7 units).
type Amount int64

// StroopsPerUnit is the number of stroops in one unit of an asset.
const StroopsPerUnit = 10_000_000

// ErrBadAmount means an amount is not a non-negative decimal with at most
// 7 places that fits in int64 stroops.
var ErrBadAmount = errors.New("revenue: amount must be a non-negative decimal with at most 7 places")

// ParseAmount parses a decimal amount ("12", "0.5", "1.2500000").
func ParseAmount(s string) (Amount, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 7 || (dot && frac == "") || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%w, not %q", ErrBadAmount, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<63-1)/StroopsPerUnit {
		return 0, fmt.Errorf("%w, not %q", ErrBadAmount, s)
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
	}
	a := w*StroopsPerUnit + f
	if a < 0 {
		return 0, fmt.Errorf("%w, not %q", ErrBadAmount, s)
	}
	return Amount(a), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the amount with exactly 7 decimal places, as Stellar does.
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%07d", sign, v/StroopsPerUnit, v%StroopsPerUnit)
}

// MarshalText writes the amount as String does.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the amount as ParseAmount does.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	*a = v
	return err
}

// Add returns a+b, or an error when the sum overflows.
func (a Amount) Add(b Amount) (Amount, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, fmt.Errorf("%w: %v + %v overflows", ErrBadAmount, a, b)
	}
	return s, nil
}
