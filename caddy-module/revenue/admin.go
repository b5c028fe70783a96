package revenue

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/attention"
)

func init() {
	caddy.RegisterModule(Admin{})
}

// Admin is the admin API module (admin.api.torplus_revenue) that reports a
// site's revenue on Caddy's admin endpoint (loopback by default):
//
//	GET /torplus/revenue[?site=<name>&from=<YYYY-MM-DD>&to=<YYYY-MM-DD>&pool=<amount>&format=json|csv]
//
// The period is [from, to) in UTC days, by default the current calendar
// month; pool is added to the payments' income (default 0). Sign an export
// with `hoster revenue --sign`.
type Admin struct{}

// CaddyModule returns the Caddy module information.
func (Admin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.torplus_revenue", New: func() caddy.Module { return new(Admin) }}
}

// Routes returns the admin routes.
func (Admin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/torplus/revenue", Handler: caddy.AdminHandlerFunc(serveRevenue)}}
}

// Month returns the calendar month (UTC) now falls in, as [from, to).
func Month(now time.Time) (from, to attention.Day) {
	y, m, _ := now.UTC().Date()
	return attention.DayOf(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)), attention.DayOf(time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC))
}

// ForSite builds the revenue report of a running site for the period and
// pool in q (from, to, pool as the admin route takes them).
func ForSite(r *http.Request, site *attention.Site, q url.Values, now time.Time) (Report, error) {
	from, to := Month(now)
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = attention.ParseDay(v); err != nil {
			return Report{}, err
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = attention.ParseDay(v); err != nil {
			return Report{}, err
		}
	}
	var pool Amount
	if v := q.Get("pool"); v != "" {
		if pool, err = ParseAmount(v); err != nil {
			return Report{}, err
		}
	}
	if err := site.Flush(r.Context()); err != nil {
		return Report{}, err
	}
	if err := site.Store.Flush(r.Context()); err != nil {
		return Report{}, err
	}
	return Build(r.Context(), site.Store, site.Reports, Inputs{Site: site.Name, From: from, To: to,
		Terms: site.Revenue(), Pool: pool, Now: now})
}

func serveRevenue(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("GET only")}
	}
	q := r.URL.Query()
	site, err := attention.LookupSite(q.Get("site"))
	if err != nil {
		return attention.APIError(err)
	}
	rep, err := ForSite(r, site, q, time.Now())
	switch {
	case errors.Is(err, ErrBadAmount) || errors.Is(err, ErrPeriod) || errors.Is(err, attention.ErrBadDay):
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	case err != nil:
		return attention.APIError(err)
	}
	switch q.Get("format") {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		return rep.WriteCSV(w)
	default:
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(`format must be "json" or "csv"`)}
	}
}

var _ caddy.AdminRouter = Admin{}
