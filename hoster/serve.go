package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "serve",
		Usage: "[--root <dir> | --upstream <url>] [--data-dir <dir>] [--torrc <file>] [--domain <example.com>] [--admin <addr>|off] [--onionbalance-master <onion>]",
		Short: "Serves a folder (or an existing web server) as a Tor v3 onion service",
		Long: `
Publishes a site as a Tor v3 onion service with no Caddyfile to write. It
starts tor, prints the onion address and the records to publish (DNS TXT
and ENS contenthash) at once, then logs tor's progress until the service
is published.

--root serves a folder of static files (default: the current directory);
--upstream reverse-proxies to an existing web server instead.

The onion key lives in --data-dir (mode 0600); the same data directory
always gives the same address. --torrc appends extra torrc lines, for
tuning tor or joining a private Tor network. The site is reachable only
through tor: Caddy listens on a unix socket in the data directory, never
on a TCP port, and no certificates are requested.

--onionbalance-master makes this hoster one Onionbalance instance of a
site scaled across replicas (see docs/deploy.md): tor publishes an
instance descriptor for the frontend to merge, and the address and
records printed are the frontend's.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("root", "", "Folder of static files to serve (default: current directory)")
			cmd.Flags().String("upstream", "", "Existing web server to reverse-proxy to (http://host:port), instead of --root")
			cmd.Flags().String("data-dir", "", "State directory: onion key, tor data (default: "+onionservice.DefaultDataDir()+")")
			cmd.Flags().String("torrc", "", "File of extra torrc lines appended to the hoster's")
			cmd.Flags().String("domain", "", "Your domain, to print the exact TXT record name (torplus.<domain>)")
			cmd.Flags().String("tor", "tor", "The tor executable")
			cmd.Flags().String("admin", caddy.DefaultAdminListen, `Admin API address (loopback or unix socket only), or "off"`)
			cmd.Flags().Bool("access-log", false, "Log every request")
			cmd.Flags().String("onionbalance-master", "", "Onion address of the Onionbalance frontend this hoster is an instance of")
			cmd.Flags().String("dashboard", "off", `Loopback address for the owner's dashboard (e.g. 127.0.0.1:2020), or "off"`)
			cmd.Flags().String("pay-to", "", "Your Stellar account (G…): turns metering on, with payment requests in TPT")
			cmd.Flags().String("price", "1", "TPT per paid round (with --pay-to)")
			cmd.Flags().String("asset-code", "TPT", "Asset code of payments (with --pay-to)")
			cmd.Flags().String("asset-issuer", "", "Issuer account (G…) of the asset (required with --pay-to)")
			cmd.Flags().String("network", "", "Stellar network passphrase (default: testnet)")
			cmd.Flags().String("free-round", "", "Size of each visitor's free first round (default 5MB)")
			cmd.Flags().String("round", "", "Bytes per paid round (default 50MB)")
			cmd.Flags().String("horizon", "", "Stellar Horizon URL that settles payments (with --pay-to)")
			cmd.Flags().String("offline-ledger", "", "JSON file of accounts for the embedded offline ledger, instead of --horizon (demos)")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdServe)
		},
	})
}

// serveOptions are the flags of "hoster serve".
type serveOptions struct {
	root, upstream, dataDir, torrc, domain, tor, admin, dashboard string
	onionbalanceMaster                                            string
	accessLog                                                     bool
	meter                                                         meterOptions
}

func cmdServe(fl caddycmd.Flags) (int, error) {
	opts := serveOptions{
		root: fl.String("root"), upstream: fl.String("upstream"), dataDir: fl.String("data-dir"),
		torrc: fl.String("torrc"), domain: fl.String("domain"), tor: fl.String("tor"),
		admin: fl.String("admin"), dashboard: fl.String("dashboard"), accessLog: fl.Bool("access-log"),
		onionbalanceMaster: fl.String("onionbalance-master"),
		meter: meterOptions{
			payTo: fl.String("pay-to"), price: fl.String("price"), assetCode: fl.String("asset-code"),
			assetIssuer: fl.String("asset-issuer"), network: fl.String("network"),
			freeRound: fl.String("free-round"), round: fl.String("round"),
			horizon: fl.String("horizon"), offlineLedger: fl.String("offline-ledger"),
		},
	}
	cfg, err := serveConfig(opts)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	caddy.TrapSignals()
	if err := caddy.Run(cfg); err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	select {}
}

// Errors of "hoster serve" flag checking.
var (
	ErrRootAndUpstream = errors.New("give --root or --upstream, not both")
	ErrAdminNotLocal   = errors.New(`the admin API must listen on loopback (localhost:2019, 127.0.0.1:…, [::1]:…) or a unix socket, or be "off"`)
)

// serveConfig turns the serve flags into a Caddy config: the onion app, and
// one http server on the app's unix socket that reads tor's PROXY headers.
func serveConfig(o serveOptions) (*caddy.Config, error) {
	if o.root != "" && o.upstream != "" {
		return nil, ErrRootAndUpstream
	}
	if o.dataDir == "" {
		o.dataDir = onionservice.DefaultDataDir()
	}
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return nil, err
	}
	site, err := siteHandler(o)
	if err != nil {
		return nil, err
	}
	handlers, err := siteRoutes(o, dataDir, site)
	if err != nil {
		return nil, err
	}
	onionApp := onionservice.App{DataDir: dataDir, Domain: o.domain, Torrc: o.torrc, TorPath: o.tor,
		OnionbalanceMaster: o.onionbalanceMaster}
	server := &caddyhttp.Server{
		Listen: []string{"unix/" + onionservice.SocketPath(dataDir)},
		ListenerWrappersRaw: []json.RawMessage{
			// A unix socket is trusted by the wrapper; tor is the only peer
			// that can reach one inside the 0700 data directory.
			caddyconfig.JSONModuleObject(map[string]any{"allow": []string{"127.0.0.1/32", "::1/128"}}, "wrapper", "proxy_protocol", nil),
		},
		AutoHTTPS: &caddyhttp.AutoHTTPSConfig{Disabled: true},
		Routes:    caddyhttp.RouteList{{HandlersRaw: handlers}},
	}
	if o.accessLog {
		server.Logs = &caddyhttp.ServerLogConfig{}
	}
	admin, err := adminConfig(o.admin)
	if err != nil {
		return nil, err
	}
	servers := map[string]*caddyhttp.Server{"onion": bound(server)}
	if o.dashboard != "off" && o.dashboard != "" {
		if servers["dashboard"], err = dashboardServer(o.dashboard); err != nil {
			return nil, err
		}
	}
	cfg := &caddy.Config{
		Admin: admin,
		AppsRaw: caddy.ModuleMap{
			"onion": caddyconfig.JSON(onionApp, nil),
			"http":  caddyconfig.JSON(caddyhttp.App{Servers: servers}, nil),
		},
	}
	if o.accessLog {
		cfg.Logging = accessLogging()
	}
	return cfg, nil
}

// siteHandler is the file server for --root or the reverse proxy for --upstream.
func siteHandler(o serveOptions) (json.RawMessage, error) {
	if o.upstream != "" {
		u, err := url.Parse(o.upstream)
		if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("--upstream %q: want http://host:port", o.upstream)
		}
		return upstreamProxy(u.Host), nil
	}
	root := rootOrDot(o.root)
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("--root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--root %s is not a directory", root)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return caddyconfig.JSONModuleObject(map[string]any{
		"root": root,
		"hide": []string{".*"}, // no dotfiles (.git, .env …) on the onion site
	}, "handler", "file_server", nil), nil
}

// adminConfig keeps the admin API on loopback or a unix socket.
func adminConfig(listen string) (*caddy.AdminConfig, error) {
	persist := false
	cfg := &caddy.AdminConfig{Listen: listen, Config: &caddy.ConfigSettings{Persist: &persist}}
	if listen == "off" {
		cfg.Disabled, cfg.Listen = true, ""
		return cfg, nil
	}
	if strings.HasPrefix(listen, "unix/") {
		return cfg, nil
	}
	if !isLoopback(listen) {
		return nil, ErrAdminNotLocal
	}
	return cfg, nil
}

// isLoopback reports whether listen is a host:port on loopback.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
