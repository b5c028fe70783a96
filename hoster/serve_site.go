package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/privacy"
	"github.com/torplus/torplus/caddy-module/store"
)

// ErrDashboardNotLocal is returned for a dashboard address off loopback.
var ErrDashboardNotLocal = usage("--dashboard must be a loopback address (127.0.0.1:2020, [::1]:2020) or \"off\"")

// DefaultAttentionPages are the pages attention may be reported for with
// --upstream: any path up to four levels deep.
var DefaultAttentionPages = []string{"/", "/*", "/*/", "/*/*", "/*/*/", "/*/*/*", "/*/*/*/*"}

// siteRoutes are the handlers in front of the site: first torplus_privacy
// (no header links the onion to a clearnet copy), then metering (with
// --pay-to), then attention reports, bound to the meter's identity of each
// visitor (so they need the meter: without --pay-to there are none), then
// the site itself.
func siteRoutes(o serveOptions, dataDir string, site json.RawMessage) ([]json.RawMessage, error) {
	db := storeConfig(dataDir)
	handlers := []json.RawMessage{caddyconfig.JSONModuleObject(privacy.Handler{
		SecretFile: filepath.Join(dataDir, "privacy.key"),
	}, "handler", "torplus_privacy", nil)}
	if o.meter.payTo == "" {
		return append(handlers, site), nil
	}
	m, err := meterHandler(o.meter, db)
	if err != nil {
		return nil, err
	}
	handlers = append(handlers, caddyconfig.JSONModuleObject(m, "handler", "torplus", nil))
	if !o.noAttention {
		a := attention.Handler{Destination: o.meter.payTo, Store: db, Zone: m.Zone, AllowClearnet: m.AllowClearnet}
		if o.upstream == "" {
			root, err := filepath.Abs(rootOrDot(o.root))
			if err != nil {
				return nil, err
			}
			a.Root = root
		} else {
			// The hoster cannot see the upstream's files: reports name
			// pages by pattern, and the beacon's POSTs are answered here
			// rather than reaching the web server (which refuses them).
			a.Pages = o.attentionPages
			if len(a.Pages) == 0 {
				a.Pages = DefaultAttentionPages
			}
		}
		handlers = append(handlers, caddyconfig.JSONModuleObject(a, "handler", "torplus_attention", nil))
	}
	return append(handlers, site), nil
}

// dashboardServer is a loopback-only http server for the site owner's dashboard.
func dashboardServer(listen string) (*caddyhttp.Server, error) {
	if !isLoopback(listen) {
		return nil, ErrDashboardNotLocal
	}
	return bound(&caddyhttp.Server{
		Listen:    []string{listen},
		AutoHTTPS: &caddyhttp.AutoHTTPSConfig{Disabled: true},
		Routes: caddyhttp.RouteList{{HandlersRaw: []json.RawMessage{
			caddyconfig.JSONModuleObject(struct{}{}, "handler", "torplus_dashboard", nil),
		}}},
	}), nil
}

// storeConfig is the store of a data directory: SQLite in store.db.
func storeConfig(dataDir string) store.Config {
	return store.Config{Driver: "sqlite", DSN: filepath.Join(dataDir, "store.db")}
}

func rootOrDot(root string) string {
	if root == "" {
		return "."
	}
	return root
}

// upstreamProxy is the reverse proxy to the owner's web server at dial.
// The upstream learns nothing of the visitor: Caddy's X-Forwarded-For would
// carry the circuit's fc00:dead:beef:4dad::<id> address and its Via names
// Caddy, so both are deleted (the TorPlus headers are gone already:
// identity.Identify removes them).
func upstreamProxy(dial string) json.RawMessage {
	return caddyconfig.JSONModuleObject(map[string]any{
		"upstreams": []map[string]string{{"dial": dial}},
		"headers":   map[string]any{"request": map[string]any{"delete": []string{"X-Forwarded-For", "Via"}}},
	}, "handler", "reverse_proxy", nil)
}
