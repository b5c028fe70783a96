// Package dashboard is the TorPlus dashboard: one server-rendered page on
// Caddy's admin listener (loopback only by default) that shows a site's
// bytes served, active sessions, payment requests against payments over
// time, income per page and per payee over time, paid against free
// attention by page, this month's revenue split, and the payments seen on
// the ledger that credited nothing (short, late, unmatched). Charts are
// inline SVG; the page makes no other request and loads nothing from
// anywhere else.
//
//	GET /torplus/dashboard[?site=<name>]              the page
//	GET /torplus/dashboard?format=json[&site=<name>]  the same figures as JSON
package dashboard

import (
	"context"
	"math"
	"time"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/revenue"
	"github.com/torplus/torplus/caddy-module/store"
)

// Window is how many days the charts cover, today included.
const Window = 30

// ActiveFor is how recently a session must have been seen to count as active.
const ActiveFor = 5 * time.Minute

// Data is everything the dashboard shows.
type Data struct {
	Site           string                `json:"site"`
	GeneratedAt    time.Time             `json:"generated_at"`
	From           string                `json:"from"`            // first day of the window
	To             string                `json:"to"`              // day after the window
	BytesServed    int64                 `json:"bytes_served"`    // by sessions seen in the window
	Sessions       int                   `json:"sessions"`        // seen in the window
	ActiveSessions int                   `json:"active_sessions"` // seen in the last 5 minutes
	Requests       int                   `json:"payment_requests"`
	Payments       int                   `json:"payments"`
	PerDay         []DayCount            `json:"per_day"`
	Attention      []attention.PageTotal `json:"attention"` // all visible time in the window
	// PageAttention splits each page's visible time in the window into
	// what paying sessions read in the rounds they paid for (it moved
	// money) and the rest (free rounds: statistics).
	PageAttention []PageAttention `json:"page_attention"`
	// PageIncome and PayeeIncome are the window's payments per day, per
	// page and per payee (revenue.Report.ByDay).
	PageIncome  []revenue.DayIncome `json:"page_income"`
	PayeeIncome []revenue.DayIncome `json:"payee_income"`
	Revenue     revenue.Report      `json:"revenue"` // this calendar month
	// Uncredited are the latest payments seen on the ledger (wallets
	// paying the network directly) that credited nothing: short, late or
	// unmatched.
	Uncredited []store.Sighting `json:"uncredited_payments"`
}

// PageAttention is one page's paid and free visible time.
type PageAttention struct {
	Path   string `json:"path"`
	PaidMS int64  `json:"paid_ms"`
	FreeMS int64  `json:"free_ms"`
}

// DayCount is one day's payment requests and payments.
type DayCount struct {
	Day      string `json:"day"`
	Requests int    `json:"payment_requests"`
	Payments int    `json:"payments"`
}

// Gather reads the dashboard's figures for site at now.
func Gather(ctx context.Context, site *attention.Site, now time.Time) (Data, error) {
	if err := site.Flush(ctx); err != nil {
		return Data{}, err
	}
	if err := site.Store.Flush(ctx); err != nil {
		return Data{}, err
	}
	to := attention.DayOf(now) + 1
	from := to - Window
	d := Data{Site: site.Name, GeneratedAt: now.UTC(), From: from.String(), To: to.String(), PerDay: make([]DayCount, Window)}
	sessions, err := site.Store.Sessions(ctx, from.Time(), math.MaxInt32)
	if err != nil {
		return Data{}, err
	}
	d.Sessions = len(sessions)
	for _, s := range sessions {
		d.BytesServed += s.BytesServed
		if now.Sub(s.LastSeen) <= ActiveFor {
			d.ActiveSessions++
		}
	}
	for i := range d.PerDay {
		d.PerDay[i].Day = (from + attention.Day(i)).String()
	}
	prs, err := site.Store.PaymentRequests(ctx, "", math.MaxInt32)
	if err != nil {
		return Data{}, err
	}
	terms := site.Revenue()
	for _, p := range prs {
		if terms.Destination != "" && p.Destination != terms.Destination {
			continue
		}
		if i := attention.DayOf(p.CreatedAt) - from; i >= 0 && i < Window {
			d.PerDay[i].Requests++
			d.Requests++
		}
		if p.State != store.Paid {
			continue
		}
		if i := attention.DayOf(p.PaidAt) - from; i >= 0 && i < Window {
			d.PerDay[i].Payments++
			d.Payments++
		}
	}
	if d.Attention, err = site.Reports.Totals(ctx, site.Name, from, to); err != nil {
		return Data{}, err
	}
	window, err := revenue.Build(ctx, site.Store, site.Reports, revenue.Inputs{Site: site.Name, From: from, To: to, Terms: terms, Now: now})
	if err != nil {
		return Data{}, err
	}
	d.PageIncome, d.PayeeIncome = window.ByDay(terms)
	if d.Uncredited, err = uncredited(ctx, site.Store); err != nil {
		return Data{}, err
	}
	d.PageAttention = paidAndFree(d.Attention, window.Pages)
	mFrom, mTo := revenue.Month(now)
	d.Revenue, err = revenue.Build(ctx, site.Store, site.Reports, revenue.Inputs{Site: site.Name, From: mFrom, To: mTo,
		Terms: terms, Now: now})
	return d, err
}

// paidAndFree splits all visible time per page into the paid part (from
// the revenue report's pages) and the rest.
func paidAndFree(all []attention.PageTotal, paid []revenue.PageShare) []PageAttention {
	byPath := map[string]int64{}
	for _, p := range paid {
		byPath[p.Path] = p.VisibleMS
	}
	out := make([]PageAttention, 0, len(all))
	for _, p := range all {
		pm := min(byPath[p.Path], p.VisibleMS)
		out = append(out, PageAttention{Path: p.Path, PaidMS: pm, FreeMS: p.VisibleMS - pm})
	}
	return out
}
