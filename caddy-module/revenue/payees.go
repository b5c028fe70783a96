package revenue

import (
	"sort"

	"github.com/torplus/torplus/caddy-module/attention"
)

// PayeeShare is what one account is owed for the period, and where it
// comes from.
type PayeeShare struct {
	// Account is the Stellar account (G…); "" is the site when no
	// destination was given.
	Account string `json:"account"`
	Amount  Amount `json:"amount"`
	// Pages are its parts of the pages' amounts, by path.
	Pages []PathAmount `json:"pages"`
	// Unattributed is its part that no page's reader paid for (the
	// site's account only).
	Unattributed Amount `json:"unattributed,omitempty"`
	// TxHashes are the transactions its pages' parts come from.
	TxHashes []string `json:"tx_hashes"`
}

// PathAmount is a payee's part of one page.
type PathAmount struct {
	Path   string `json:"path"`
	Amount Amount `json:"amount"`
}

// payeeShares splits each page's amount among the payees of the first
// rule matching it (by weight, ties to the payee listed first); pages no
// rule matches and the unattributed income are the destination's.
func payeeShares(r Report, terms attention.RevenueTerms) []PayeeShare {
	by := map[string]*PayeeShare{}
	get := func(acct string) *PayeeShare {
		p := by[acct]
		if p == nil {
			p = &PayeeShare{Account: acct, Pages: []PathAmount{}, TxHashes: []string{}}
			by[acct] = p
		}
		return p
	}
	txs := map[string]map[string]bool{}
	for _, page := range r.Pages {
		accts, weights := payeesOf(page.Path, terms)
		parts, _ := Split(page.Amount, weights)
		for i, acct := range accts {
			p := get(acct)
			p.Amount += parts[i]
			p.Pages = append(p.Pages, PathAmount{Path: page.Path, Amount: parts[i]})
			if txs[acct] == nil {
				txs[acct] = map[string]bool{}
			}
			for _, h := range page.TxHashes {
				txs[acct][h] = true
			}
		}
	}
	if r.Unattributed > 0 {
		p := get(terms.Destination)
		p.Amount += r.Unattributed
		p.Unattributed = r.Unattributed
	}
	out := make([]PayeeShare, 0, len(by))
	for acct, p := range by {
		for h := range txs[acct] {
			p.TxHashes = append(p.TxHashes, h)
		}
		sort.Strings(p.TxHashes)
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// payeesOf returns the accounts paid for path and their weights: the
// first rule matching it, else the destination alone.
func payeesOf(path string, terms attention.RevenueTerms) ([]string, []int64) {
	for _, rule := range terms.Payees {
		if rule.Matches(path) {
			accts, weights := make([]string, len(rule.Payees)), make([]int64, len(rule.Payees))
			for i, pw := range rule.Payees {
				accts[i], weights[i] = pw.Account, pw.Weight
			}
			return accts, weights
		}
	}
	return []string{terms.Destination}, []int64{1}
}
