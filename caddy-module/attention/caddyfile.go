package attention

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("torplus_attention", parseCaddyfile)
	// Right after the meter (a report's session is the meter's identity,
	// and a client the meter refuses may not report), so before
	// file_server and everything else that answers: the endpoint lives
	// under /.well-known/, which a file server hiding dotfiles refuses.
	// Caddy orders a plugin only relative to standard directives: both go
	// just before header, and this package imports the meter, whose init
	// (and so its "torplus", before header) comes first; torplus_attention
	// then lands between the two (TestDirectiveOrder pins it).
	httpcaddyfile.RegisterDirectiveOrder("torplus_attention", httpcaddyfile.Before, "header")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	a := new(Handler)
	err := a.UnmarshalCaddyfile(h.Dispenser)
	return a, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	torplus_attention [<site>] {
//	    zone            <name>              # the torplus handler's zone; default "default"
//	    allow_clearnet                      # as the torplus handler's (set both alike)
//	    endpoint        <path>              # default /.well-known/torplus/attention
//	    root            <dir>               # where pages are; default {http.vars.root}
//	    pages           <pattern...>        # path.Match patterns instead of root
//	    page_extensions <.ext...>           # default .html .htm
//	    max_body        <size>              # default 2KiB
//	    slack           <duration>          # default 2s
//	    first_report    <duration>          # default 10m
//	    rate            <per minute> [<burst>]  # default 30 10
//	    new_sessions    <per minute>        # new attention sessions, all clients; default 600
//	    max_sessions    <n>                 # default 100000
//	    session_ttl     <duration>          # default 1h
//	    destination     <G… account>        # the site's account, for the revenue report
//	    asset_code      <code>              # default TPT
//	    payee           <prefix/ or pattern> <G…>[:<weight>]...  # content providers; repeatable
//	    store           sqlite [<path>] | postgres <dsn>  # as the torplus handler's, retention block included
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		h.Site = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		var err error
		one := func() (string, error) {
			if len(args) != 1 {
				return "", d.ArgErr()
			}
			return args[0], nil
		}
		dur := func(dst *caddy.Duration) error {
			v, err := one()
			if err != nil {
				return err
			}
			t, err := caddy.ParseDuration(v)
			*dst = caddy.Duration(t)
			return err
		}
		integer := func(dst *int) error {
			v, err := one()
			if err == nil {
				*dst, err = strconv.Atoi(v)
			}
			return err
		}
		switch opt {
		case "zone":
			h.Zone, err = one()
		case "allow_clearnet":
			if len(args) != 0 {
				return d.ArgErr()
			}
			h.AllowClearnet = true
		case "new_sessions":
			err = integer(&h.NewSessions)
		case "endpoint":
			h.Endpoint, err = one()
		case "root":
			h.Root, err = one()
		case "pages":
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.Pages = append(h.Pages, args...)
		case "page_extensions":
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.PageExtensions = append(h.PageExtensions, args...)
		case "max_body":
			var v string
			if v, err = one(); err == nil {
				var n uint64
				n, err = humanize.ParseBytes(v)
				h.MaxBody = int64(n)
			}
		case "slack":
			err = dur(&h.Slack)
		case "first_report":
			err = dur(&h.FirstReport)
		case "session_ttl":
			err = dur(&h.SessionTTL)
		case "rate":
			if len(args) < 1 || len(args) > 2 {
				return d.ArgErr()
			}
			if h.PerMinute, err = strconv.Atoi(args[0]); err == nil && len(args) == 2 {
				h.Burst, err = strconv.Atoi(args[1])
			}
		case "max_sessions":
			err = integer(&h.MaxSessions)
		case "destination":
			h.Destination, err = one()
		case "asset_code":
			h.AssetCode, err = one()
		case "payee":
			var r PayeeRule
			if r, err = ParsePayeeRule(args); err == nil {
				h.Payees = append(h.Payees, r)
			}
		case "store":
			if err := h.Store.ParseArgs(args); err != nil {
				return d.WrapErr(err)
			}
			if err := h.Store.ParseBlock(d); err != nil {
				return d.WrapErr(err)
			}
		default:
			return d.Errf("unknown torplus_attention option %q", opt)
		}
		if err != nil {
			return d.Errf("%s: %w", opt, err)
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
