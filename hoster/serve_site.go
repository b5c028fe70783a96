package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/privacy"
	"github.com/torplus/torplus/caddy-module/store"
)

// meterOptions are the serve flags that turn metering on: with --pay-to set,
// every visitor gets a free round and then payment requests.
type meterOptions struct {
	payTo, price, assetCode, assetIssuer, network string
	freeRound, round                              string
	horizon, offlineLedger                        string // the settlement backend
}

// ErrTwoBackends is returned when both --horizon and --offline-ledger are given.
var ErrTwoBackends = errors.New("give --horizon or --offline-ledger, not both")

// ErrDashboardNotLocal is returned for a dashboard address off loopback.
var ErrDashboardNotLocal = errors.New("--dashboard must be a loopback address (127.0.0.1:2020, [::1]:2020) or \"off\"")

// siteRoutes are the handlers in front of the site: first torplus_privacy
// (no header links the onion to a clearnet copy), attention reports (for a
// folder of pages), metering (with --pay-to), then the site itself.
func siteRoutes(o serveOptions, dataDir string, site json.RawMessage) ([]json.RawMessage, error) {
	db := store.Config{Driver: "sqlite", DSN: filepath.Join(dataDir, "store.db")}
	handlers := []json.RawMessage{caddyconfig.JSONModuleObject(privacy.Handler{
		SecretFile: filepath.Join(dataDir, "privacy.key"),
	}, "handler", "torplus_privacy", nil)}
	if o.upstream == "" {
		root, err := filepath.Abs(rootOrDot(o.root))
		if err != nil {
			return nil, err
		}
		handlers = append(handlers, caddyconfig.JSONModuleObject(attention.Handler{
			Root: root, Destination: o.meter.payTo, Store: db,
		}, "handler", "torplus_attention", nil))
	}
	if o.meter.payTo != "" {
		m := meter.Handler{
			Destination: o.meter.payTo, Price: o.meter.price, AssetCode: o.meter.assetCode,
			AssetIssuer: o.meter.assetIssuer, Network: o.meter.network, Store: db,
		}
		switch {
		case o.meter.horizon != "" && o.meter.offlineLedger != "":
			return nil, ErrTwoBackends
		case o.meter.horizon != "":
			m.Backend, m.HorizonURL = "horizon", o.meter.horizon
		case o.meter.offlineLedger != "":
			m.Backend, m.OfflineLedgerFile = "offline", o.meter.offlineLedger
		}
		var err error
		if m.FreeRound, err = parseSize("--free-round", o.meter.freeRound); err != nil {
			return nil, err
		}
		if m.RoundBytes, err = parseSize("--round", o.meter.round); err != nil {
			return nil, err
		}
		handlers = append(handlers, caddyconfig.JSONModuleObject(m, "handler", "torplus", nil))
	}
	return append(handlers, site), nil
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

func rootOrDot(root string) string {
	if root == "" {
		return "."
	}
	return root
}

// parseSize reads a size flag ("5MB", "50MiB", "0" for the handler's default).
func parseSize(flag, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n > 1<<62 {
		return 0, fmt.Errorf("%s %q: want a size such as 5MB or 50MiB", flag, v)
	}
	return int64(n), nil
}
