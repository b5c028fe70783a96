package precompress

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile reads the file system's block (syntax in the package
// comment): the tokens after "filesystem <name>".
func (f *FS) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the module's name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		var dst *string
		switch d.Val() {
		case "root":
			dst = &f.Root
		case "cache":
			dst = &f.Cache
		default:
			return d.Errf("unknown torplus_precompressed option %q", d.Val())
		}
		if *dst != "" {
			return d.Errf("%s already specified", d.Val())
		}
		if !d.AllArgs(dst) {
			return d.ArgErr()
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*FS)(nil)
