package onionservice

import (
	"errors"
	"fmt"
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
//			max_streams               <n, 0: no limit>
//			max_streams_close_circuit on|off
//			pow_defenses              on|off
//			pow_queue_rate            <n>
//			pow_queue_burst           <n>
//			intro_dos_defense         on|off
//			intro_dos_rate_per_sec    <n>
//			intro_dos_burst_per_sec   <n>
//			stellar_socks             on|off
//			stellar_socks_dir         <dir of the socket, 0700; default data_dir>
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
		case "stellar_socks_dir":
			a.StellarSocksDir = val
		case "stellar_socks":
			on, err := onOff(val)
			if err != nil {
				return d.Errf("stellar_socks: %w", err)
			}
			a.StellarSocks = on
		case "virtual_port":
			port, err := strconv.Atoi(val)
			if err != nil {
				return d.Errf("virtual_port: %v", err)
			}
			a.VirtualPort = port
		default:
			known, err := a.Defenses.option(field, val)
			if !known {
				return d.Errf("unknown onion option %q", field)
			}
			if err != nil {
				return d.Errf("%s: %v", field, err)
			}
		}
		if d.NextArg() {
			return d.ArgErr()
		}
	}
	return nil
}

// option sets the defence option field (a Caddyfile name: max_streams,
// pow_defenses, …) to val; known is false for a name that is none of them.
func (d *Defenses) option(field, val string) (known bool, err error) {
	var sw **bool
	var n *int
	switch field {
	case "max_streams":
		v, err := strconv.Atoi(val)
		if err != nil {
			return true, err
		}
		d.MaxStreams = &v
		return true, nil
	case "max_streams_close_circuit":
		sw = &d.MaxStreamsCloseCircuit
	case "pow_defenses":
		sw = &d.PoWDefenses
	case "intro_dos_defense":
		sw = &d.IntroDoSDefense
	case "pow_queue_rate":
		n = &d.PoWQueueRate
	case "pow_queue_burst":
		n = &d.PoWQueueBurst
	case "intro_dos_rate_per_sec":
		n = &d.IntroDoSRate
	case "intro_dos_burst_per_sec":
		n = &d.IntroDoSBurst
	default:
		return false, nil
	}
	if sw != nil {
		on, err := onOff(val)
		if err != nil {
			return true, err
		}
		*sw = &on
		return true, nil
	}
	v, err := strconv.Atoi(val)
	if err != nil || v <= 0 {
		return true, fmt.Errorf("want a positive number, got %q", val)
	}
	*n = v
	return true, nil
}

// ErrOnOff is returned for a switch that is not on or off.
var ErrOnOff = errors.New("want on or off")

// onOff reads a Caddyfile switch.
func onOff(v string) (bool, error) {
	switch v {
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	}
	return false, fmt.Errorf("%w, got %q", ErrOnOff, v)
}

var _ caddyfile.Unmarshaler = (*App)(nil)
