package meter

import (
	"fmt"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("torplus", parseCaddyfile)
	// Meter before anything that writes a response.
	httpcaddyfile.RegisterDirectiveOrder("torplus", httpcaddyfile.Before, "header")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	torplus [<zone>] {
//	    price            <amount>             # TPT per round (required)
//	    destination      <G… account>         # receives payments (required)
//	    asset            <code> <issuer G…>   # code defaults to TPT; issuer required
//	    network          testnet|pubnet|<passphrase>  # default: testnet
//	    free_round       <size>|off           # default 5MB
//	    round            <size>               # paid round, default 50MB
//	    ask_at           <fraction>           # default 0.8
//	    grace            <duration>|off       # throttled period before 402, default 30s
//	    throttle         <size per second>    # default 20KB
//	    request_ttl      <duration>           # default 15m
//	    payment_endpoint <path or URL>        # default /.well-known/torplus/pay
//	    free_budget      <size per minute>|off # all clients' free bytes; default 300MB
//	    upgrades         meter|refuse         # WebSocket tunnels; default meter
//	    pow              <bits>               # proof of work for new sessions; default off
//	    allow_clearnet                        # serve non-Tor clients (default 403)
//	    idle_timeout     <duration>           # default 30m
//	    max_sessions     <n>                  # default 1000000
//	    store            sqlite [<path>] | postgres <dsn> [{ retention settings: store.ParseBlock }]
//	    flush_interval   <duration>           # store write batching, default 200ms
//	    backend          offline | horizon <url> | rpc [<url>]  # settles payments; unset: none (503)
//	    stellar_rpc      <url>                # the rpc backend's Stellar RPC
//	    fee_account_seed_file <path>          # rpc: seed (0600) of the account paying SAC payments' fees (XLM only)
//	    stellar_socks    <host:port>|unix/<path>  # all Stellar traffic through this SOCKS5 proxy (tor)
//	    facilitator      <url>                # rpc: an x402 facilitator settles x402 payments (through stellar_socks)
//	    watch_interval   <duration>           # rpc: how often payments seen on the ledger are read; default 1s
//	    offline_ledger   <file.json>          # the offline backend's accounts (simledger.Genesis)
//	    settle_timeout   <duration>           # one settlement, retries included; default 15s
//	    failed_payments  <per request> <per client> <window>  # failed verifications before 429; default 5 20 1m
//	    seed_file        <path>               # operator seed (0600), checked against destination
//	    seed_env         <VARIABLE>           # or the operator seed from the environment
//	    payment_secret_file <path>            # the zone's Payment challenge secret (0600); default beside the store
//	}
//
// Sizes take units (5MB = 5,000,000 bytes; 5MiB = 5×2^20).
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		h.Zone = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		var err error
		opt := d.Val()
		switch opt {
		case "price":
			err = oneArg(d, func(v string) error { h.Price = v; return nil })
		case "destination":
			err = oneArg(d, func(v string) error { h.Destination = v; return nil })
		case "network":
			err = oneArg(d, func(v string) error { h.Network = v; return nil })
		case "offline_ledger":
			err = oneArg(d, func(v string) error { h.OfflineLedgerFile = v; return nil })
		case "seed_file":
			err = oneArg(d, func(v string) error { h.SeedFile = v; return nil })
		case "seed_env":
			err = oneArg(d, func(v string) error { h.SeedEnv = v; return nil })
		case "settle_timeout":
			err = oneArg(d, func(v string) error { return duration(v, &h.SettleTimeout) })
		case "failed_payments":
			args := d.RemainingArgs()
			if len(args) != 3 {
				return d.ArgErr()
			}
			var err error
			f := &h.FailedPayments
			if f.PerRequest, err = strconv.Atoi(args[0]); err == nil {
				if f.PerClient, err = strconv.Atoi(args[1]); err == nil {
					err = duration(args[2], &f.Window)
				}
			}
			if err == nil && (f.PerRequest <= 0 || f.PerClient <= 0 || f.Window <= 0) {
				err = fmt.Errorf("counts and window must be positive")
			}
			if err != nil {
				return d.Errf("parsing failed_payments: %v", err)
			}
		case "backend":
			args := d.RemainingArgs()
			switch {
			case len(args) == 1 && (args[0] == "offline" || args[0] == "rpc"):
			case len(args) == 2 && args[0] == "horizon":
				h.HorizonURL = args[1]
			case len(args) == 2 && args[0] == "rpc":
				h.StellarRPC = args[1]
			default:
				return d.Errf("backend wants offline, horizon <url> or rpc [<url>]")
			}
			h.Backend = args[0]
		case "stellar_rpc":
			err = oneArg(d, func(v string) error { h.StellarRPC = v; return nil })
		case "fee_account_seed_file":
			err = oneArg(d, func(v string) error { h.FeeAccountSeedFile = v; return nil })
		case "payment_secret_file":
			err = oneArg(d, func(v string) error { h.PaymentSecretFile = v; return nil })
		case "stellar_socks":
			err = oneArg(d, func(v string) error { h.StellarSOCKS = v; return nil })
		case "facilitator":
			err = oneArg(d, func(v string) error { h.Facilitator = v; return nil })
		case "watch_interval":
			err = oneArg(d, func(v string) error { return duration(v, &h.WatchInterval) })
		case "payment_endpoint":
			err = oneArg(d, func(v string) error { h.PaymentEndpoint = v; return nil })
		case "asset":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.Errf("asset wants <code> <issuer>")
			}
			h.AssetCode, h.AssetIssuer = args[0], args[1]
		case "free_round":
			err = oneArg(d, func(v string) error {
				if v == "off" {
					h.FreeRound = -1
					return nil
				}
				return size(v, &h.FreeRound)
			})
		case "round":
			err = oneArg(d, func(v string) error { return size(v, &h.RoundBytes) })
		case "throttle":
			err = oneArg(d, func(v string) error { return size(v, &h.ThrottleRate) })
		case "upgrades":
			err = oneArg(d, func(v string) error { h.Upgrades = v; return nil })
		case "free_budget":
			err = oneArg(d, func(v string) error {
				if v == "off" {
					h.FreeBytesPerMinute = -1
					return nil
				}
				return size(v, &h.FreeBytesPerMinute)
			})
		case "ask_at":
			err = oneArg(d, func(v string) (err error) {
				// Not NaN or ±Inf: Caddy could not encode the config.
				if h.AskAt, err = strconv.ParseFloat(v, 64); err == nil && !(h.AskAt > 0 && h.AskAt < 1) {
					err = d.Errf("ask_at must be between 0 and 1, not %s", v)
				}
				return
			})
		case "pow":
			err = oneArg(d, func(v string) (err error) { h.PoWDifficulty, err = strconv.Atoi(v); return })
		case "max_sessions":
			err = oneArg(d, func(v string) (err error) { h.MaxSessions, err = strconv.ParseInt(v, 10, 64); return })
		case "grace":
			err = oneArg(d, func(v string) error {
				if v == "off" {
					h.Grace = -1
					return nil
				}
				return duration(v, &h.Grace)
			})
		case "request_ttl":
			err = oneArg(d, func(v string) error { return duration(v, &h.RequestTTL) })
		case "idle_timeout":
			err = oneArg(d, func(v string) error { return duration(v, &h.IdleTimeout) })
		case "flush_interval":
			err = oneArg(d, func(v string) error { return duration(v, &h.Store.FlushInterval) })
		case "allow_clearnet":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.AllowClearnet = true
		case "store":
			args := d.RemainingArgs()
			if err := h.Store.ParseArgs(args); err != nil {
				return d.Err(err.Error())
			}
			if err := h.Store.ParseBlock(d); err != nil {
				return d.WrapErr(err)
			}
		default:
			return d.Errf("unknown torplus option %q", opt)
		}
		if err != nil {
			return d.Errf("parsing %s: %w", opt, err) // the option, not its value, and the cause kept
		}
	}
	return nil
}

func oneArg(d *caddyfile.Dispenser, set func(string) error) error {
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.ArgErr()
	}
	return set(args[0])
}

func size(v string, dst *int64) error {
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return err
	}
	*dst = int64(n)
	return nil
}

func duration(v string, dst *caddy.Duration) error {
	t, err := caddy.ParseDuration(v)
	*dst = caddy.Duration(t)
	return err
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
