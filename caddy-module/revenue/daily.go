package revenue

import (
	"sort"

	"github.com/torplus/torplus/caddy-module/attention"
)

// DayIncome is what one page or one payee earned on one day (UTC), by
// the day each payment was made.
type DayIncome struct {
	Day    string `json:"day"` // YYYY-MM-DD
	Key    string `json:"key"` // the page's path or the payee's account
	Amount Amount `json:"amount"`
}

// ByDay gives the report's payments over time: per page (each
// transaction's page parts) and per payee (each part split among the
// page's payees by terms, as the report does; the unattributed income is
// the destination's). The pool has no day and is left out. Per payee, the
// days' stroops may differ from the period's share by the rounding of
// each day's split; the report's Payees are what is owed.
func (r Report) ByDay(terms attention.RevenueTerms) (pages, payees []DayIncome) {
	type key struct{ day, key string }
	pm, ym := map[key]Amount{}, map[key]Amount{}
	for _, t := range r.Transactions {
		day := attention.DayOf(t.PaidAt).String()
		if t.Basis == BasisNone {
			ym[key{day, terms.Destination}] += t.Amount
		}
		for _, p := range t.Pages {
			pm[key{day, p.Path}] += p.Amount
			accts, weights := payeesOf(p.Path, terms)
			parts, _ := Split(p.Amount, weights)
			for i, a := range accts {
				ym[key{day, a}] += parts[i]
			}
		}
	}
	flat := func(m map[key]Amount) []DayIncome {
		out := make([]DayIncome, 0, len(m))
		for k, a := range m {
			out = append(out, DayIncome{Day: k.day, Key: k.key, Amount: a})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Day != out[j].Day {
				return out[i].Day < out[j].Day
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	return flat(pm), flat(ym)
}
