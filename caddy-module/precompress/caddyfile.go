package precompress

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("torplus_image_copies", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		m := new(ImageCopies)
		return m, m.UnmarshalCaddyfile(h.Dispenser)
	})
	httpcaddyfile.RegisterDirectiveOrder("torplus_image_copies", httpcaddyfile.Before, "file_server")
}

// UnmarshalCaddyfile reads the file system's block (syntax in the package
// comment): the tokens after "filesystem <name>".
func (f *FS) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the module's name
	if d.NextArg() {
		return d.ArgErr()
	}
	return options(d, "torplus_precompressed", map[string]*string{"root": &f.Root, "cache": &f.Cache})
}

// UnmarshalCaddyfile reads the directive (syntax in ImageCopies' comment).
func (h *ImageCopies) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive's name
	if d.NextArg() {
		return d.ArgErr()
	}
	return options(d, "torplus_image_copies", map[string]*string{"fs": &h.FileSystem, "root": &h.Root})
}

// options reads a block of options that take one value each, once.
func options(d *caddyfile.Dispenser, module string, dst map[string]*string) error {
	for d.NextBlock(0) {
		p, ok := dst[d.Val()]
		if !ok {
			return d.Errf("unknown %s option %q", module, d.Val())
		}
		if *p != "" {
			return d.Errf("%s already specified", d.Val())
		}
		if !d.AllArgs(p) {
			return d.ArgErr()
		}
	}
	return nil
}

var (
	_ caddyfile.Unmarshaler = (*FS)(nil)
	_ caddyfile.Unmarshaler = (*ImageCopies)(nil)
)
