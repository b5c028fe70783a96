package attention

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/store"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the Handler's fields.
const (
	DefaultEndpoint = "/.well-known/torplus/attention"
	DefaultSite     = "default"
	DefaultMaxBody  = 2048
	DefaultRoot     = "{http.vars.root}"
	DefaultAsset    = "TPT"
)

// Handler answers attention reports POSTed to Endpoint and passes every
// other request on, counting the bytes of pages sent in paid rounds. It
// must run after the metering handler (torplus) of its Zone, whose identity
// of the client is the report's session, and before file_server (which
// hides the dot-directory the endpoint lives in).
type Handler struct {
	// Endpoint is the URL path reports are POSTed to (default
	// "/.well-known/torplus/attention").
	Endpoint string `json:"endpoint,omitempty"`
	// Site names the site the reports are aggregated under (default
	// "default"); the revenue report and dashboard ask for it by name.
	Site string `json:"site,omitempty"`
	// Root is the folder of the site's files, where a reported path must
	// be a page (default "{http.vars.root}", as file_server's root; "." if
	// that is unset). Placeholders are expanded per request.
	Root string `json:"root,omitempty"`
	// Pages, if set, are path.Match patterns of the site's pages
	// ("/articles/*.html"), used instead of Root (for reverse-proxied sites).
	Pages []string `json:"pages,omitempty"`
	// PageExtensions are the file extensions of pages under Root (default
	// .html and .htm).
	PageExtensions []string `json:"page_extensions,omitempty"`
	// MaxBody is the largest report body accepted, in bytes (default 2048).
	MaxBody int64 `json:"max_body,omitempty"`
	// Zone names the metering zone (the torplus handler's zone, default
	// "default", on the same store) whose clients may report: a client the
	// zone has not served is refused with 403.
	Zone string `json:"zone,omitempty"`
	// AllowClearnet identifies non-Tor clients by their token or address,
	// as the torplus handler's allow_clearnet (set both alike).
	AllowClearnet bool `json:"allow_clearnet,omitempty"`
	// Slack is added, once, to the wall time since the meter first served
	// a client when checking all the visible time it reported (default 2s).
	Slack caddy.Duration `json:"slack,omitempty"`
	// FirstReport bounds how far back a session's clock may start when
	// the Tracker first sees it (default 10m): a client served long ago and
	// forgotten after session_ttl cannot claim its whole past again.
	FirstReport caddy.Duration `json:"first_report,omitempty"`
	// NewSessions bounds the attention sessions opened per minute, by all
	// clients together (default 600).
	NewSessions int `json:"new_sessions,omitempty"`
	// Burst is how many reports a session may send at once (default 10).
	Burst int `json:"burst,omitempty"`
	// PerMinute is the average number of reports a session may send per
	// minute (default 30).
	PerMinute int `json:"per_minute,omitempty"`
	// MaxSessions bounds the sessions remembered (default 100000).
	MaxSessions int `json:"max_sessions,omitempty"`
	// SessionTTL forgets a session idle this long (default 1h).
	SessionTTL caddy.Duration `json:"session_ttl,omitempty"`
	// Destination is the site's Stellar account: the revenue report counts
	// paid payment requests to it (default: all paid requests in the store).
	Destination string `json:"destination,omitempty"`
	// AssetCode is the asset income is counted in (default "TPT").
	AssetCode string `json:"asset_code,omitempty"`
	// Payees map path prefixes ("/articles/") or path.Match patterns to the
	// Stellar accounts paid for those pages, with weights for co-authored
	// paths; the first matching rule wins, the rest is Destination's.
	Payees []PayeeRule `json:"payees,omitempty"`
	// Store selects the database, as the torplus handler's store option
	// (default SQLite in Caddy's data dir); attention goes in its own table.
	Store store.Config `json:"store,omitempty"`

	site      *Site
	zone      meter.Zone // Zone on Store, whose clients may report
	pages     Pages
	pageCache *pageCache
	log       *zap.Logger
	now       func() time.Time
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.torplus_attention", New: func() caddy.Module { return new(Handler) }}
}

// Provision fills in defaults and joins the site's shared state.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.log = ctx.Logger()
	if h.now == nil {
		h.now = time.Now
	}
	if h.Endpoint == "" {
		h.Endpoint = DefaultEndpoint
	}
	if h.Site == "" {
		h.Site = DefaultSite
	}
	if h.Root == "" {
		h.Root = DefaultRoot
	}
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	if h.AssetCode == "" {
		h.AssetCode = DefaultAsset
	}
	if err := h.Validate(); err != nil {
		return err
	}
	zone, err := meter.ZoneOf(h.Zone, h.Store)
	if err != nil {
		return err
	}
	h.zone = zone
	h.pages = Pages{Patterns: h.Pages, Extensions: h.PageExtensions}
	h.pageCache = new(pageCache)
	limits := Limits{Slack: time.Duration(h.Slack), FirstReport: time.Duration(h.FirstReport), Burst: h.Burst,
		PerMinute: h.PerMinute, MaxSessions: h.MaxSessions, SessionTTL: time.Duration(h.SessionTTL), NewPerMinute: h.NewSessions}
	onErr := func(err error) { h.log.Error("storing attention", zap.Error(err)) }
	site, err := acquireSite(ctx, h.Site, h.Store, limits, RevenueTerms{Destination: h.Destination, AssetCode: h.AssetCode, Payees: h.Payees}, onErr)
	if err != nil {
		return err
	}
	h.site = site
	return nil
}

// Validate checks the config.
func (h *Handler) Validate() error {
	switch {
	case len(h.Endpoint) == 0 || h.Endpoint[0] != '/':
		return fmt.Errorf("attention: endpoint must be a path starting with /, not %q", h.Endpoint)
	case h.MaxBody < 64 || h.MaxBody > 1<<20:
		return fmt.Errorf("attention: max_body must be between 64 bytes and 1 MiB, not %d", h.MaxBody)
	case h.Slack < 0 || h.FirstReport < 0 || h.SessionTTL < 0:
		return fmt.Errorf("attention: slack, first_report and session_ttl must not be negative")
	case h.Burst < 0 || h.PerMinute < 0 || h.MaxSessions < 0 || h.NewSessions < 0:
		return fmt.Errorf("attention: burst, per_minute, max_sessions and new_sessions must not be negative")
	}
	for _, p := range h.Pages {
		if _, err := CleanPattern(p); err != nil {
			return err
		}
	}
	for _, r := range h.Payees {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return h.Store.Validate()
}

// CleanPattern checks a page pattern: an absolute path.Match pattern.
func CleanPattern(p string) (string, error) {
	if len(p) == 0 || p[0] != '/' {
		return "", fmt.Errorf("attention: page pattern %q must start with /", p)
	}
	if _, err := path.Match(p, "/"); err != nil {
		return "", fmt.Errorf("attention: page pattern %q: %w", p, err)
	}
	return p, nil
}

// Cleanup leaves the site's shared state.
func (h *Handler) Cleanup() error {
	if h.site == nil {
		return nil
	}
	return releaseSite(h.site)
}

// ServeHTTP records a report sent to the endpoint and passes anything else
// to next, counting the bytes of a page sent in a paid round.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.URL.Path != h.Endpoint {
		return h.servePage(w, r, next)
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := h.accept(r); err != nil {
		return h.reject(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accept reads, validates and records one report.
func (h *Handler) accept(r *http.Request) error {
	rep, page, err := readRequest(r, h.MaxBody)
	if err != nil {
		return err
	}
	key, served, err := h.client(r)
	if err != nil {
		return err
	}
	now := h.now()
	if err := h.site.Tracker.Take(key, served.First, now); err != nil {
		return err
	}
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	root := h.Root
	if repl != nil {
		root = repl.ReplaceAll(h.Root, ".")
	}
	if !h.pageCache.is(h.pages, root, page, now) {
		return fmt.Errorf("%w: %q", ErrNotAPage, page)
	}
	if err := h.site.Tracker.Spend(key, rep.VisibleMS, now); err != nil {
		return err
	}
	var paid *PageRound
	if served.Paid {
		paid = &PageRound{Session: served.Session(), Round: served.Round}
	}
	return h.site.Recorder.Add(r.Context(), h.Site, page, DayOf(now), rep.VisibleMS, paid)
}

// reject answers a refused report with its status and reason as JSON.
func (h *Handler) reject(w http.ResponseWriter, err error) error {
	code := Status(err)
	if code >= 500 {
		h.log.Error("attention report", zap.Error(err))
	} else {
		h.log.Debug("attention report refused", zap.Error(err))
	}
	if rl := (*RateLimitError)(nil); errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
	}
	if code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
