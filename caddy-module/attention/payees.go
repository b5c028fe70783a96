package attention

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/stellar/go-stellar-sdk/strkey"
)

// PayeeRule says who is paid for the pages a pattern matches: one content
// provider, or several sharing a co-authored path by weight.
type PayeeRule struct {
	// Pattern is a path prefix ending in "/" ("/articles/") or a
	// path.Match pattern ("/blog/*.html"; "/about.html" is one page).
	Pattern string `json:"pattern"`
	// Payees are the Stellar accounts paid, each with its weight.
	Payees []PayeeWeight `json:"payees"`
}

// PayeeWeight is one account of a rule and its share (weight ÷ the rule's
// weights).
type PayeeWeight struct {
	Account string `json:"account"` // G… account
	Weight  int64  `json:"weight"`  // ≥ 1
}

// MaxPayeeWeight bounds one weight, so that a page's amount times a weight
// never overflows the exact split.
const MaxPayeeWeight = 1_000_000

// ErrBadPayee means a payee rule is malformed.
var ErrBadPayee = errors.New("attention: payee rule must be <pattern> <G… account>[:<weight>]...")

// ParsePayeeRule parses a rule written as fields: a pattern, then one or
// more accounts, each optionally followed by ":" and a weight (default 1):
//
//	/articles/ GABC…:2 GDEF…:1
//
// An account may appear once per rule.
func ParsePayeeRule(fields []string) (PayeeRule, error) {
	if len(fields) < 2 {
		return PayeeRule{}, fmt.Errorf("%w: want a pattern and at least one account", ErrBadPayee)
	}
	r := PayeeRule{Pattern: fields[0]}
	if err := r.checkPattern(); err != nil {
		return PayeeRule{}, err
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		acct, w, hasWeight := strings.Cut(f, ":")
		weight := int64(1)
		if hasWeight {
			n, err := strconv.ParseInt(w, 10, 64)
			if err != nil || n < 1 || n > MaxPayeeWeight {
				return PayeeRule{}, fmt.Errorf("%w: weight %q must be a whole number from 1 to %d", ErrBadPayee, w, MaxPayeeWeight)
			}
			weight = n
		}
		if !strkey.IsValidEd25519PublicKey(acct) {
			return PayeeRule{}, fmt.Errorf("%w: %q is not a Stellar account (G…)", ErrBadPayee, acct)
		}
		if seen[acct] {
			return PayeeRule{}, fmt.Errorf("%w: %s appears twice", ErrBadPayee, acct)
		}
		seen[acct] = true
		r.Payees = append(r.Payees, PayeeWeight{Account: acct, Weight: weight})
	}
	return r, nil
}

func (r PayeeRule) checkPattern() error {
	if _, err := CleanPattern(r.Pattern); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayee, err)
	}
	return nil
}

// Matches tells whether the rule covers the clean page path p.
func (r PayeeRule) Matches(p string) bool {
	if strings.HasSuffix(r.Pattern, "/") {
		return strings.HasPrefix(p, r.Pattern)
	}
	ok, _ := path.Match(r.Pattern, p)
	return ok
}

// Validate checks a rule built in JSON rather than parsed.
func (r PayeeRule) Validate() error {
	if err := r.checkPattern(); err != nil {
		return err
	}
	fields := []string{r.Pattern}
	for _, p := range r.Payees {
		fields = append(fields, p.Account+":"+strconv.FormatInt(p.Weight, 10))
	}
	_, err := ParsePayeeRule(fields)
	return err
}
