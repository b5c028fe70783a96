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

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Amount is an amount of an asset in stroops (10^-7 units).
type Amount int64

// StroopsPerUnit is the number of stroops in one unit of an asset.
const StroopsPerUnit = payreq.StroopsPerUnit

// ErrBadAmount means an amount is not a non-negative decimal with at most
// 7 places that fits in int64 stroops.
var ErrBadAmount = errors.New("revenue: amount must be a non-negative decimal with at most 7 places")

// ParseAmount parses a decimal amount ("12", "0.5", "1.2500000"), as
// payreq.ParseAmount does (the one parser of amounts).
func ParseAmount(s string) (Amount, error) {
	a, err := payreq.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("%w, not %q", ErrBadAmount, s)
	}
	return Amount(a), nil
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
