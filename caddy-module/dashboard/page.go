package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/dustin/go-humanize"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/revenue"
)

func init() {
	caddy.RegisterModule(Admin{})
}

// Admin is the admin API module (admin.api.torplus_dashboard) that serves
// the dashboard on Caddy's admin listener.
type Admin struct{}

// CaddyModule returns the Caddy module information.
func (Admin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.torplus_dashboard", New: func() caddy.Module { return new(Admin) }}
}

// Routes returns the admin routes.
func (Admin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/torplus/dashboard", Handler: caddy.AdminHandlerFunc(serveDashboard)}}
}

func serveDashboard(w http.ResponseWriter, r *http.Request) error {
	return serve(w, r, r.URL.Query().Get("site"))
}

// serve answers with the dashboard of the named site (the only one if ""),
// or its figures as JSON with ?format=json. Errors are caddy.APIError.
func serve(w http.ResponseWriter, r *http.Request, name string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("GET only")}
	}
	site, err := attention.LookupSite(name)
	if err != nil {
		return attention.APIError(err)
	}
	d, err := Gather(r.Context(), site, time.Now())
	if err != nil {
		return attention.APIError(err)
	}
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(d)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, d); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: err}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Everything is inline; forbid the page from loading anything at all.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	_, err = w.Write(b.Bytes())
	return err
}

var page = template.Must(template.New("dashboard").Funcs(template.FuncMap{
	"bytes":     func(n int64) string { return humanize.Bytes(uint64(max(n, 0))) },
	"duration":  Duration,
	"requests":  requestsChart,
	"attention": attentionChart,
	"income":    incomeChart,
	"time":      func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
	"amount":    func(a revenue.Amount) string { return a.String() },
	"short":     func(s string) string { return s[:min(len(s), 12)] + map[bool]string{true: "…"}[len(s) > 12] },
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>TorPlus · {{.Site}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; background: #f5f6f8; color: #2b303b; }
header { background: #3d2a6e; color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 16px; }
header h1 { font-size: 20px; margin: 0; }
header span { opacity: .8; font-size: 13px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 28px 40px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 14px; margin-bottom: 20px; }
.tile { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6b7385; }
.tile .value { font-size: 26px; font-weight: 650; margin-top: 4px; }
.tile .note { font-size: 12px; color: #6b7385; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { font-size: 16px; margin: 0 0 10px; }
.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 650; border-bottom: none; }
.empty { color: #6b7385; }
</style>
</head>
<body>
<header><h1>TorPlus · {{.Site}}</h1><span>updated {{time .GeneratedAt}} · charts cover {{.From}} to {{.To}} (exclusive)</span></header>
<main>
<div class="tiles">
 <div class="tile" id="bytes-served"><div class="label">Bytes served</div><div class="value">{{bytes .BytesServed}}</div><div class="note">{{.Sessions}} sessions in 30 days</div></div>
 <div class="tile" id="active-sessions"><div class="label">Active sessions</div><div class="value">{{.ActiveSessions}}</div><div class="note">seen in the last 5 minutes</div></div>
 <div class="tile" id="payment-requests"><div class="label">Payment requests</div><div class="value">{{.Requests}}</div><div class="note">in 30 days</div></div>
 <div class="tile" id="payments"><div class="label">Payments</div><div class="value">{{.Payments}}</div><div class="note">in 30 days</div></div>
 <div class="tile" id="revenue"><div class="label">Revenue this month</div><div class="value">{{amount .Revenue.Income}}</div><div class="note">{{.Revenue.AssetCode}}, {{.Revenue.From}} to {{.Revenue.To}}</div></div>
</div>
<section><h2>Payment requests and payments per day</h2>{{requests .PerDay}}</section>
<section><h2>Attention by page: paid and free (30 days)</h2>{{attention .PageAttention}}</section>
<section id="page-income"><h2>Income per page per day ({{.Revenue.AssetCode}})</h2>{{income "page-income-chart" "Income per page per day" .PerDay .PageIncome}}</section>
<section id="payee-income"><h2>Income per payee per day ({{.Revenue.AssetCode}})</h2>{{income "payee-income-chart" "Income per payee per day" .PerDay .PayeeIncome}}</section>
<section id="revenue-split"><h2>Revenue split this month ({{.Revenue.AssetCode}})</h2>
<p class="note">Each payment goes to the pages its own session read in the rounds it bought; free-round attention moves nothing.</p>
{{if .Revenue.Pages}}<table>
<thead><tr><th>Page</th><th class="num">Paid visible time</th><th class="num">Payments</th><th class="num">Amount</th></tr></thead>
<tbody>{{range .Revenue.Pages}}<tr><td>{{.Path}}</td><td class="num">{{duration .VisibleMS}}</td><td class="num">{{len .TxHashes}}</td><td class="num">{{amount .Amount}}</td></tr>
{{end}}</tbody>
<tfoot><tr><td>Income ({{.Revenue.Payments}} payments{{if .Revenue.Pool}} + pool {{amount .Revenue.Pool}}{{end}}; unattributed {{amount .Revenue.Unattributed}})</td><td></td><td></td><td class="num">{{amount .Revenue.Income}}</td></tr></tfoot>
</table>{{else}}<p class="empty">No paid reading this month: income {{amount .Revenue.Income}} is the site's.</p>{{end}}
{{if .Revenue.Payees}}<table id="payees">
<thead><tr><th>Payee</th><th class="num">Pages</th><th class="num">Amount</th></tr></thead>
<tbody>{{range .Revenue.Payees}}<tr><td>{{if .Account}}{{.Account}}{{else}}(the site){{end}}</td><td class="num">{{len .Pages}}</td><td class="num">{{amount .Amount}}</td></tr>
{{end}}</tbody>
</table>{{end}}
</section>
<section id="uncredited"><h2>Payments seen on the ledger that credited nothing</h2>
<p class="note">Wallets' payments to a request's muxed address or memo that were short, arrived after the request expired, or named no open request: received, not credited.</p>
{{if .Uncredited}}<table>
<thead><tr><th>Ledger closed</th><th>Verdict</th><th class="num">Amount</th><th>From</th><th>Request</th><th>Transaction</th></tr></thead>
<tbody>{{range .Uncredited}}<tr><td>{{time .ClosedAt}}</td><td>{{.Verdict}}</td><td class="num">{{.Amount}}</td><td>{{short .From}}</td><td>{{if .Dest}}{{.Dest}}{{else}}none{{end}}</td><td>{{short .TxHash}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="empty">None: every payment seen on the ledger paid its request.</p>{{end}}
</section>
</main>
</body>
</html>
`

var _ caddy.AdminRouter = Admin{}
