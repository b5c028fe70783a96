package main

import (
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/pflag"

	"github.com/torplus/torplus/caddy-module/onionservice"
)

// DefaultFreeBytesPerMinute is serve's global free budget: the free bytes
// all visitors together get per minute. It bounds what a farm of fresh
// identities can take for free (issue 14 item 3); "off" lifts it.
const DefaultFreeBytesPerMinute = "300MB" // meter.DefaultFreeBytesPerMinute (TestServeFreeBudgetIsTheMeters)

// DemoDashboard is where --demo shows the dashboard unless told otherwise.
const DemoDashboard = "127.0.0.1:2020"

// addServeFlags declares the flags of "hoster serve". Each is also read
// from its TORPLUS_* variable (applyEnv).
func addServeFlags(f *pflag.FlagSet) {
	demo := demoMode("false")
	f.VarPF(&demo, "demo", "", `Try it out: metering and payments on a simulated Stellar network inside the hoster, with a funded demo payer ("auto": unless --pay-to is set)`).NoOptDefVal = "true"
	f.String("root", "", "Folder of static files to serve (default: current directory)")
	f.String("upstream", "", "Existing web server to reverse-proxy to (http://host:port), instead of --root")
	f.String("data-dir", "", "State directory: onion key, tor data, store (default: "+onionservice.DefaultDataDir()+")")
	f.String("torrc", "", "File of extra torrc lines appended to the hoster's")
	f.String("domain", "", "Your domain, to print the exact TXT record name (torplus.<domain>)")
	f.String("tor", "tor", "The tor executable")
	f.String("admin", "", `Admin API address: loopback (127.0.0.1:2019), a unix socket (unix/<path>), or "off" (default: the unix socket <data-dir>/`+AdminSocketFile+`, mode 0600)`)
	f.Bool("access-log", false, "Log every request")
	f.String("onionbalance-master", "", "Onion address of the Onionbalance frontend this hoster is an instance of")
	f.String("dashboard", "off", `Loopback address for the owner's dashboard (e.g. 127.0.0.1:2020), or "off" (--demo: 127.0.0.1:2020)`)
	f.String("pay-to", "", "Your Stellar account (G…): turns metering on, with payment requests in TPT")
	f.String("price", "1", "TPT per paid round (with --pay-to)")
	f.String("asset-code", "TPT", "Asset code of payments (with --pay-to)")
	f.String("asset-issuer", "", "Issuer account (G…) of the asset (required with --pay-to)")
	f.String("network", "testnet", `Stellar network: "testnet", "pubnet" or a network passphrase`)
	f.String("free-round", "5MB", `Size of each visitor's free first round; "0" for none`)
	f.String("round", "50MB", "Bytes per paid round")
	f.String("grace", "30s", `How long a visitor past its allowance is served slowly before 402; "off" for none`)
	f.String("free-bytes-per-minute", DefaultFreeBytesPerMinute, `Free bytes all visitors together get per minute; "off" for no bound`)
	f.String("stellar-rpc", "", "Stellar RPC URL that settles payments (with --pay-to; picks the rpc backend)")
	f.String("fee-account-seed-file", "", "File (mode 0600) with the seed of the fee account, a key of its own holding only XLM, that pays the fees of the payments the hoster submits")
	f.Bool("stellar-direct", false, "Reach the Stellar RPC or Horizon directly instead of through the hoster's tor: the server's operator then sees this machine's address (see SECURITY.md)")
	f.String("horizon", "", "Stellar Horizon URL that settles payments (with --pay-to), instead of --stellar-rpc")
	f.String("offline-ledger", "", "JSON file of accounts for an embedded offline ledger, instead of --horizon (tests)")
	f.Bool("attention", true, "Take the attention beacon's reports (time spent on pages), which split revenue by page")
	f.StringSlice("attention-pages", nil, "With --upstream: path patterns of the pages attention counts (default: any path 4 levels deep)")
	f.String("seed-file", "", "File (mode 0600) with your account's secret seed (S…), checked against --pay-to; optional")
}

// readServeFlags collects the parsed flags (after applyEnv).
func readServeFlags(fl caddycmd.Flags) serveOptions {
	pages, _ := fl.GetStringSlice("attention-pages")
	o := serveOptions{
		root: fl.String("root"), upstream: fl.String("upstream"), dataDir: fl.String("data-dir"),
		torrc: fl.String("torrc"), domain: fl.String("domain"), tor: fl.String("tor"),
		admin: fl.String("admin"), dashboard: fl.String("dashboard"), accessLog: fl.Bool("access-log"),
		onionbalanceMaster: fl.String("onionbalance-master"), demo: demoOn(fl),
		noAttention: !fl.Bool("attention"), attentionPages: pages,
		meter: meterOptions{
			payTo: fl.String("pay-to"), price: fl.String("price"), assetCode: fl.String("asset-code"),
			assetIssuer: fl.String("asset-issuer"), network: fl.String("network"),
			freeRound: fl.String("free-round"), round: fl.String("round"), grace: fl.String("grace"),
			freePerMinute: fl.String("free-bytes-per-minute"),
			rpc:           fl.String("stellar-rpc"), horizon: fl.String("horizon"), offlineLedger: fl.String("offline-ledger"),
			seedFile: fl.String("seed-file"), feeSeedFile: fl.String("fee-account-seed-file"),
		},
		stellarDirect: fl.Bool("stellar-direct"),
	}
	if o.demo && !fl.Changed("dashboard") && !fromEnv["dashboard"] {
		o.dashboard = DemoDashboard
	}
	return o
}

// demoMode is the value of --demo: "true", "false", or "auto", a demo
// unless --pay-to is set (compose's default, so that an empty .env is a
// demo and setting TORPLUS_PAY_TO makes it real).
type demoMode string

func (d *demoMode) String() string { return string(*d) }

// Type names the kind of value in messages (kindOf).
func (d *demoMode) Type() string { return "demo" }

// Set accepts true, false or auto (and the usual spellings of a bool).
func (d *demoMode) Set(v string) error {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		*d = "true"
	case "false", "0", "no", "off":
		*d = "false"
	case "auto":
		*d = "auto"
	default:
		return ErrWrongKind
	}
	return nil
}

// demoOn reads --demo against --pay-to.
func demoOn(fl caddycmd.Flags) bool {
	switch fl.Lookup("demo").Value.String() {
	case "true":
		return true
	case "auto":
		return fl.String("pay-to") == ""
	}
	return false
}
