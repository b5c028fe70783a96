// Package dashboard is the TorPlus dashboard: one server-rendered page on
// Caddy's admin listener (loopback only by default) that shows a site's
// bytes served, active sessions, payment requests against payments over
// time, attention by page and this month's revenue split. Charts are
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
	Attention      []attention.PageTotal `json:"attention"`
	Revenue        revenue.Report        `json:"revenue"` // this calendar month
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
	mFrom, mTo := revenue.Month(now)
	d.Revenue, err = revenue.Build(ctx, site.Store, site.Reports, revenue.Inputs{Site: site.Name, From: mFrom, To: mTo,
		Terms: terms, Now: now})
	return d, err
}
