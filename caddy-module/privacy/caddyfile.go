package privacy

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("torplus_privacy", parseCaddyfile)
	// Right after log_name, which puts it before torplus and
	// torplus_attention (both "before header") whichever registers first:
	// the meter's own answers (402, 403) must be scrubbed too.
	httpcaddyfile.RegisterDirectiveOrder("torplus_privacy", httpcaddyfile.After, "log_name")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile reads the directive (syntax in the package comment).
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive's name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret_file":
			if h.SecretFile != "" {
				return d.Err("secret_file already specified")
			}
			if !d.AllArgs(&h.SecretFile) {
				return d.ArgErr()
			}
		default:
			return d.Errf("unknown torplus_privacy option %q", d.Val())
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
