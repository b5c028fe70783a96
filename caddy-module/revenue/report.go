package revenue

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/store"
)

// Format names the report's layout; it is part of what is signed.
const Format = "torplus-revenue-report/2"

// Rounding says how amounts are rounded, in every report.
const Rounding = "exact in stroops (1e-7). Each payment is split among the pages its own session read in the rounds it bought, " +
	"by visible time (by page bytes when the session sent no reports): floor(amount x weight / total weight) each, the stroops left " +
	"one each to the largest remainders, ties to the earlier path. The pool is split the same way by the pages' payment amounts. " +
	"A page's amount is split among its payees by weight the same way, ties to the payee listed first. " +
	"Payments whose session read no page in their rounds, the pool when no payment was split, and pages no payee rule matches " +
	"are the site's (destination). Every split sums to its whole."

// Report is a site's income over a period, each payment split among the
// pages its own session read, and the pages' amounts among their payees.
type Report struct {
	Format      string `json:"format"`
	Site        string `json:"site"`
	From        string `json:"from"` // first day, YYYY-MM-DD (UTC)
	To          string `json:"to"`   // the day after the last
	AssetCode   string `json:"asset_code"`
	Destination string `json:"destination,omitempty"` // the site's account: payments were counted to it, and it is paid the rest
	// Payments is the number of payment requests paid in the period.
	Payments int `json:"payments"`
	// PaymentsAmount is what they paid.
	PaymentsAmount Amount `json:"payments_amount"`
	// Pool is the amount the operator added (e.g. a monthly allocation).
	Pool Amount `json:"pool"`
	// Income is PaymentsAmount + Pool.
	Income Amount `json:"income"`
	// Unattributed is the income no page's reader paid for (payments
	// whose session read no page in their rounds; the pool if no payment
	// was split): the site's.
	Unattributed Amount `json:"unattributed"`
	// Pages are the pages that payments were split to, by path.
	Pages []PageShare `json:"pages"`
	// Payees are what each account is owed, by account; they sum to Income.
	Payees []PayeeShare `json:"payees"`
	// Transactions are the period's paid requests and their splits, in
	// the order they were paid.
	Transactions []Transaction `json:"transactions"`
	// Attention is every page's visible time in the period, free rounds
	// included: statistics, which move no money.
	Attention   []attention.PageTotal `json:"attention"`
	Rounding    string                `json:"rounding"`
	GeneratedAt time.Time             `json:"generated_at"`
}

// PageShare is one page's part of the income.
type PageShare struct {
	Path string `json:"path"`
	// VisibleMS and Bytes are what paying sessions read of it in the
	// rounds they paid for.
	VisibleMS int64 `json:"visible_ms"`
	Bytes     int64 `json:"bytes"`
	// FromPayments is the sum of its parts of the transactions; FromPool
	// its part of the pool; Amount both.
	FromPayments Amount `json:"from_payments"`
	FromPool     Amount `json:"from_pool"`
	Amount       Amount `json:"amount"`
	// TxHashes are the transactions it has a part of.
	TxHashes []string `json:"tx_hashes"`
}

// Inputs select what a report covers.
type Inputs struct {
	Site     string
	From, To attention.Day // [From, To)
	Terms    attention.RevenueTerms
	Pool     Amount
	Now      time.Time // GeneratedAt
}

// Errors of building a report.
var (
	ErrPeriod   = errors.New("revenue: the period must end after it starts")
	ErrBadStore = errors.New("revenue: the store holds a payment request with a malformed amount")
)

// Build reads the period's paid payment requests from payments and what
// their sessions read from att, and splits the income.
func Build(ctx context.Context, payments store.DB, att attention.Store, in Inputs) (Report, error) {
	if in.To <= in.From {
		return Report{}, ErrPeriod
	}
	asset := in.Terms.AssetCode
	if asset == "" {
		asset = attention.DefaultAsset
	}
	r := Report{Format: Format, Site: in.Site, From: in.From.String(), To: in.To.String(), AssetCode: asset,
		Destination: in.Terms.Destination, Pool: in.Pool, Rounding: Rounding, GeneratedAt: in.Now.UTC(),
		Pages: []PageShare{}, Payees: []PayeeShare{}}
	paid, err := periodPayments(ctx, payments, in, asset)
	if err != nil {
		return Report{}, err
	}
	r.Payments = len(paid)
	if r.Transactions, err = attribute(ctx, payments, att, in.Site, paid); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrBadStore, err)
	}
	pages := map[string]*PageShare{}
	for _, t := range r.Transactions {
		if r.PaymentsAmount, err = r.PaymentsAmount.Add(t.Amount); err != nil {
			return Report{}, err
		}
		if t.Basis == BasisNone {
			r.Unattributed += t.Amount
		}
		for _, pa := range t.Pages {
			ps := pages[pa.Path]
			if ps == nil {
				ps = &PageShare{Path: pa.Path}
				pages[pa.Path] = ps
			}
			ps.FromPayments += pa.Amount
			ps.VisibleMS += pa.VisibleMS
			ps.Bytes += pa.Bytes
			if n := len(ps.TxHashes); n == 0 || ps.TxHashes[n-1] != t.TxHash {
				ps.TxHashes = append(ps.TxHashes, t.TxHash)
			}
		}
	}
	if r.Income, err = r.PaymentsAmount.Add(in.Pool); err != nil {
		return Report{}, err
	}
	for _, ps := range pages {
		r.Pages = append(r.Pages, *ps)
	}
	sort.Slice(r.Pages, func(i, j int) bool { return r.Pages[i].Path < r.Pages[j].Path })
	weights := make([]int64, len(r.Pages))
	for i, p := range r.Pages {
		weights[i] = int64(p.FromPayments)
	}
	pool, ok := Split(in.Pool, weights)
	if !ok {
		r.Unattributed += in.Pool
	}
	for i := range r.Pages {
		r.Pages[i].FromPool = pool[i]
		r.Pages[i].Amount = r.Pages[i].FromPayments + pool[i]
	}
	r.Payees = payeeShares(r, in.Terms)
	if r.Attention, err = att.Totals(ctx, in.Site, in.From, in.To); err != nil {
		return Report{}, err
	}
	return r, nil
}

// periodPayments lists the requests paid in the period to the terms'
// destination in asset, in the order they were paid (ties by hash).
func periodPayments(ctx context.Context, payments store.DB, in Inputs, asset string) ([]store.PaymentRequest, error) {
	all, err := payments.PaymentRequests(ctx, store.Paid, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	start, end := in.From.Time(), in.To.Time()
	var paid []store.PaymentRequest
	for _, p := range all {
		if p.PaidAt.Before(start) || !p.PaidAt.Before(end) || p.AssetCode != asset ||
			(in.Terms.Destination != "" && p.Destination != in.Terms.Destination) {
			continue
		}
		if _, err := paymentAmount(p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadStore, err)
		}
		paid = append(paid, p)
	}
	sort.Slice(paid, func(i, j int) bool {
		if !paid[i].PaidAt.Equal(paid[j].PaidAt) {
			return paid[i].PaidAt.Before(paid[j].PaidAt)
		}
		return paid[i].TxHash < paid[j].TxHash
	})
	return paid, nil
}
