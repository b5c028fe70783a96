package x402

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrAmountSyntax: an amount on the wire is not a plain decimal integer of
// atomic units that fits an int64.
var ErrAmountSyntax = errors.New("x402: amount is not a decimal integer of atomic units")

// ParseAmount reads an amount in atomic units (stroops for a SAC of a
// classic asset) as both standards write it: a decimal string with no sign,
// no leading zeros, no fraction and no exponent. Being strict matters
// because amounts are compared: "010" and "10" must not both pass for ten.
// The Payment scheme's request uses the same form, so its package calls
// this one too.
func ParseAmount(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: %q", ErrAmountSyntax, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q", ErrAmountSyntax, s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrAmountSyntax, s)
	}
	return n, nil
}

// FormatAmount writes an amount of atomic units the way ParseAmount reads it.
func FormatAmount(n int64) string { return strconv.FormatInt(n, 10) }
