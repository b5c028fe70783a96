package attention

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(Admin{})
}

// Admin is the admin API module (admin.api.torplus_attention) that lists a
// site's attention on Caddy's admin endpoint (loopback by default):
//
//	GET /torplus/attention[?site=<name>&from=<YYYY-MM-DD>&to=<YYYY-MM-DD>]
//
// The period is [from, to) in UTC days; the default is the 30 days up to
// and including today. The answer is an Attention object.
type Admin struct{}

// CaddyModule returns the Caddy module information.
func (Admin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.torplus_attention", New: func() caddy.Module { return new(Admin) }}
}

// Routes returns the admin routes.
func (Admin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/torplus/attention", Handler: caddy.AdminHandlerFunc(serveAttention)}}
}

// Attention is a site's attention over a period, per page and per day.
type Attention struct {
	Site  string      `json:"site"`
	From  string      `json:"from"` // first day, YYYY-MM-DD
	To    string      `json:"to"`   // day after the last, YYYY-MM-DD
	Pages []PageTotal `json:"pages"`
	Days  []DayRow    `json:"days"`
}

// DayRow is one page's attention on one day.
type DayRow struct {
	Day string `json:"day"`
	Daily
}

// Period reads ?from= and ?to= (YYYY-MM-DD, to exclusive); missing, they
// default to the days days up to and including today (UTC).
func Period(q interface{ Get(string) string }, now time.Time, days int) (from, to Day, err error) {
	to = DayOf(now) + 1
	from = to - Day(days)
	if v := q.Get("from"); v != "" {
		if from, err = ParseDay(v); err != nil {
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = ParseDay(v); err != nil {
			return
		}
	}
	if to <= from {
		err = errors.Join(ErrBadDay, errors.New("the period must end after it starts"))
	}
	return
}

// Report gathers the site's attention over [from, to), writing waiting
// reports first.
func (s *Site) Report(ctx context.Context, from, to Day) (Attention, error) {
	if err := s.Flush(ctx); err != nil {
		return Attention{}, err
	}
	pages, err := s.Reports.Totals(ctx, s.Name, from, to)
	if err != nil {
		return Attention{}, err
	}
	days, err := s.Reports.Days(ctx, s.Name, from, to)
	if err != nil {
		return Attention{}, err
	}
	a := Attention{Site: s.Name, From: from.String(), To: to.String(), Pages: pages, Days: make([]DayRow, len(days))}
	for i, d := range days {
		a.Days[i] = DayRow{Day: d.Day.String(), Daily: d}
	}
	return a, nil
}

// APIError turns an error of this package into a caddy.APIError with the
// right status.
func APIError(err error) error {
	code := Status(err)
	if errors.Is(err, ErrNoSuchSite) {
		code = http.StatusNotFound
	} else if errors.Is(err, ErrBadDay) {
		code = http.StatusBadRequest
	} else if code == http.StatusInternalServerError {
		code = http.StatusServiceUnavailable
	}
	return caddy.APIError{HTTPStatus: code, Err: err}
}

func serveAttention(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("GET only")}
	}
	site, err := LookupSite(r.URL.Query().Get("site"))
	if err != nil {
		return APIError(err)
	}
	from, to, err := Period(r.URL.Query(), time.Now(), 30)
	if err != nil {
		return APIError(err)
	}
	a, err := site.Report(r.Context(), from, to)
	if err != nil {
		return APIError(err)
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(a)
}

var _ caddy.AdminRouter = Admin{}
