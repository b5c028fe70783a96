package onionservice

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("onion", parseGlobalOption)
}

// parseGlobalOption sets up the onion app from the Caddyfile's global options:
//
//	{
//		onion [<data_dir>] {
//			data_dir     <path>
//			domain       <domain>
//			torrc        <file of extra torrc lines>
//			tor_path     <tor executable>
//			virtual_port <port>
//			onionbalance_master <frontend's onion address>
//		}
//	}
//
// The site that tor forwards to binds the app's socket and reads the PROXY
// header tor sends (see docs/hoster.md):
//
//	{
//		onion /var/lib/torplus
//		servers {
//			listener_wrappers {
//				proxy_protocol
//			}
//		}
//	}
//	http:// {
//		bind unix//var/lib/torplus/http.sock
//		reverse_proxy 127.0.0.1:8080
//	}
func parseGlobalOption(d *caddyfile.Dispenser, _ any) (any, error) {
	app := new(App)
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "onion", Value: caddyconfig.JSON(app, nil)}, nil
}

// UnmarshalCaddyfile reads the onion global option (syntax above).
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the option name
	if d.NextArg() {
		a.DataDir = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		field := d.Val()
		if !d.NextArg() {
			return d.ArgErr()
		}
		val := d.Val()
		switch field {
		case "data_dir":
			a.DataDir = val
		case "domain":
			a.Domain = val
		case "torrc":
			a.Torrc = val
		case "tor_path":
			a.TorPath = val
		case "onionbalance_master":
			a.OnionbalanceMaster = val
		case "virtual_port":
			port, err := strconv.Atoi(val)
			if err != nil {
				return d.Errf("virtual_port: %v", err)
			}
			a.VirtualPort = port
		default:
			return d.Errf("unknown onion option %q", field)
		}
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*App)(nil)
