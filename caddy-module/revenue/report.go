package revenue

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/store"
)

// Format names the report's layout; it is part of what is signed.
const Format = "torplus-revenue-report/1"

// Rounding says how amounts are rounded, in every report.
const Rounding = "exact in stroops (1e-7): each page gets floor(income x visible_ms / attention_ms); " +
	"the stroops left go one each to the largest remainders, ties to the earlier path; the parts sum to the income"

// Report is a site's income over a period, split by attention share.
type Report struct {
	Format      string `json:"format"`
	Site        string `json:"site"`
	From        string `json:"from"` // first day, YYYY-MM-DD (UTC)
	To          string `json:"to"`   // the day after the last
	AssetCode   string `json:"asset_code"`
	Destination string `json:"destination,omitempty"` // the site's account, if payments were filtered by it
	// Payments is the number of payment requests paid in the period.
	Payments int `json:"payments"`
	// PaymentsAmount is what they paid.
	PaymentsAmount Amount `json:"payments_amount"`
	// Pool is the amount the operator added (e.g. a monthly allocation).
	Pool Amount `json:"pool"`
	// Income is PaymentsAmount + Pool.
	Income Amount `json:"income"`
	// AttentionMS is the visible time of all pages in the period.
	AttentionMS int64 `json:"attention_ms"`
	// Unallocated is the income nobody's attention claims: all of it
	// when AttentionMS is 0, else 0.
	Unallocated Amount      `json:"unallocated"`
	Pages       []PageShare `json:"pages"`
	Rounding    string      `json:"rounding"`
	GeneratedAt time.Time   `json:"generated_at"`
}

// PageShare is one page's part of the income.
type PageShare struct {
	Path      string `json:"path"`
	VisibleMS int64  `json:"visible_ms"`
	Reports   int64  `json:"reports"`
	// Share is visible_ms / attention_ms in parts per million, rounded
	// down (informational; Amount is exact).
	SharePPM int64  `json:"share_ppm"`
	Amount   Amount `json:"amount"`
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
	ErrPeriod    = errors.New("revenue: the period must end after it starts")
	ErrBadLedger = errors.New("revenue: the ledger holds a payment request with a malformed amount")
)

// Build reads the period's paid payment requests from payments and its
// attention from att, and splits the income.
func Build(ctx context.Context, payments store.DB, att attention.Store, in Inputs) (Report, error) {
	if in.To <= in.From {
		return Report{}, ErrPeriod
	}
	asset := in.Terms.AssetCode
	if asset == "" {
		asset = attention.DefaultAsset
	}
	r := Report{Format: Format, Site: in.Site, From: in.From.String(), To: in.To.String(), AssetCode: asset,
		Destination: in.Terms.Destination, Pool: in.Pool, Rounding: Rounding, GeneratedAt: in.Now.UTC(), Pages: []PageShare{}}
	paid, err := payments.PaymentRequests(ctx, store.Paid, math.MaxInt32)
	if err != nil {
		return Report{}, err
	}
	start, end := in.From.Time(), in.To.Time()
	for _, p := range paid {
		if p.PaidAt.Before(start) || !p.PaidAt.Before(end) || p.AssetCode != asset ||
			(in.Terms.Destination != "" && p.Destination != in.Terms.Destination) {
			continue
		}
		if r.PaymentsAmount, err = r.PaymentsAmount.Add(Amount(p.Amount)); err != nil { // both in stroops
			return Report{}, err
		}
		r.Payments++
	}
	if r.Income, err = r.PaymentsAmount.Add(in.Pool); err != nil {
		return Report{}, err
	}
	pages, err := att.Totals(ctx, in.Site, in.From, in.To)
	if err != nil {
		return Report{}, err
	}
	weights := make([]int64, len(pages))
	for i, p := range pages {
		weights[i] = p.VisibleMS
		r.AttentionMS += p.VisibleMS
	}
	parts, ok := Split(r.Income, weights)
	if !ok {
		r.Unallocated = r.Income
	}
	for i, p := range pages {
		s := PageShare{Path: p.Path, VisibleMS: p.VisibleMS, Reports: p.Reports, Amount: parts[i]}
		if r.AttentionMS > 0 {
			hi, lo := mul(p.VisibleMS, 1_000_000)
			s.SharePPM = div(hi, lo, r.AttentionMS)
		}
		r.Pages = append(r.Pages, s)
	}
	return r, nil
}
