package main

import (
	"context"
	"encoding/json"
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
		Usage: "[--demo] [--root <dir> | --upstream <url>] [--data-dir <dir>] [--pay-to <G…> --asset-issuer <G…> --stellar-rpc <url> --fee-account-seed-file <file>] [--price <TPT>] [--dashboard <addr>] [flags]",
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
records printed are the frontend's.

--pay-to turns metering on: each visitor gets a free round (--free-round),
then a payment request for every --round of bytes at --price TPT, paid
to your account and settled through --stellar-rpc (or --horizon), the
fees of the payments the hoster submits paid by the fee account of
--fee-account-seed-file. That traffic goes through the hoster's own tor,
so the server's operator cannot tie this machine to your payee;
--stellar-direct connects directly. --demo does the same on a simulated
Stellar RPC inside the hoster, with a funded demo payer and fee account,
so you can watch payments arrive in the dashboard before you set up real
ones ("hoster init").

Every flag can also be set from the environment: --free-round is
TORPLUS_FREE_ROUND, --pay-to is TORPLUS_PAY_TO, and so on (a flag on the
command line wins). Exit codes: 1 when something needed is missing or
taken (tor, a port, the data directory), 2 for a mistake in the flags or
the environment.`,
		CobraFunc: func(cmd *cobra.Command) {
			addServeFlags(cmd.Flags())
			cmd.RunE = hosterCommand(cmd, true, cmdServe)
		},
	})
}

// serveOptions are the flags of "hoster serve".
type serveOptions struct {
	root, upstream, dataDir, torrc, domain, tor, admin, dashboard string
	onionbalanceMaster                                            string
	accessLog, demo, noAttention, stellarDirect                   bool
	attentionPages                                                []string
	meter                                                         meterOptions
}

func cmdServe(fl caddycmd.Flags) (int, error) {
	opts := readServeFlags(fl)
	dataDir, err := absDataDir(opts.dataDir)
	if err != nil {
		return ExitUsage, err
	}
	opts.dataDir = dataDir
	if !opts.demo { // a mistake in the flags touches nothing (the demo's are checked once it runs)
		if _, err := serveConfig(opts); err != nil {
			return ExitUsage, err
		}
	}
	if err := lockDataDir(dataDir); err != nil {
		return ExitFailed, err
	}
	var demo *demoNetwork
	if opts.demo {
		if demo, err = startDemo(&opts, 0); err != nil {
			return ExitFailed, err
		}
		defer demo.Close()
	}
	cfg, err := serveConfig(opts)
	if err != nil {
		return ExitUsage, err
	}
	if err := preflight(opts); err != nil {
		return ExitFailed, err
	}
	caddy.TrapSignals()
	if err := caddy.Run(cfg); err != nil {
		return ExitFailed, err
	}
	printBanner(os.Stdout, opts)
	printStellar(os.Stdout, opts, dataDir)
	if demo != nil {
		printDemo(os.Stdout, demo, dataDir)
	}
	go reportProgress(context.Background(), os.Stdout, dataDir)
	select {}
}

// Errors of "hoster serve" flag checking.
var (
	ErrRootAndUpstream = usage("give --root or --upstream, not both")
	// ErrNoFolder means --root is not a folder.
	ErrNoFolder      = usage("no such folder")
	ErrAdminNotLocal = usage(`the admin API must listen on loopback (localhost:2019, 127.0.0.1:…, [::1]:…) or a unix socket, or be "off"`)
)

// serveConfig turns the serve flags into a Caddy config: the onion app, and
// one http server on the app's unix socket that reads tor's PROXY headers.
func serveConfig(o serveOptions) (*caddy.Config, error) {
	if o.root != "" && o.upstream != "" {
		return nil, ErrRootAndUpstream
	}
	dataDir, err := absDataDir(o.dataDir)
	if err != nil {
		return nil, err
	}
	o.meter.stellarSocks = stellarSocks(o, dataDir)
	site, err := siteHandler(o)
	if err != nil {
		return nil, err
	}
	handlers, err := siteRoutes(o, dataDir, site)
	if err != nil {
		return nil, err
	}
	onionApp := onionservice.App{DataDir: dataDir, Domain: o.domain, Torrc: o.torrc, TorPath: o.tor,
		OnionbalanceMaster: o.onionbalanceMaster, StellarSocks: o.meter.stellarSocks != ""}
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
	admin, err := adminConfig(adminListen(o.admin, dataDir))
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
	if o.upstream == "" {
		if cfg.AppsRaw["caddy.filesystems"], err = siteFilesystem(o.root, dataDir); err != nil {
			return nil, err
		}
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
			return nil, fmt.Errorf("%s %q: %w: want http://host:port", flagName("upstream"), o.upstream, ErrBadValue)
		}
		return upstreamProxy(u.Host), nil
	}
	root := rootOrDot(o.root)
	st, err := os.Stat(root)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s %s: %w (give the folder of your site's files)", flagName("root"), root, ErrNoFolder)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return staticSite(root), nil
}

// absDataDir is the absolute data directory, by default onionservice's.
func absDataDir(dir string) (string, error) {
	if dir == "" {
		dir = onionservice.DefaultDataDir()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName("data-dir"), err)
	}
	return abs, nil
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
