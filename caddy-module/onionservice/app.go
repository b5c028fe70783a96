// Package onionservice is the Caddy app that owns tor: it keeps the site's
// v3 onion key in the data directory, prints the address and the records to
// publish as soon as the config loads, and runs one supervised tor child
// process (through bine) that publishes the onion service and forwards each
// visitor's connection, with a PROXY header naming its circuit, to Caddy's
// unix socket.
//
// JSON (app "onion"):
//
//	{
//		"apps": {
//			"onion": {
//				"data_dir": "/var/lib/torplus",
//				"domain":   "example.com",
//				"torrc":    "/etc/torplus/extra.torrc",
//				"tor_path": "tor",
//				"onionbalance_master": "<56 characters>.onion",
//				"max_streams": 32,
//				"max_streams_close_circuit": true,
//				"pow_defenses": true,
//				"pow_queue_rate": 250,
//				"pow_queue_burst": 2500,
//				"intro_dos_defense": true,
//				"intro_dos_rate_per_sec": 25,
//				"intro_dos_burst_per_sec": 200,
//				"stellar_socks": true
//			}
//		}
//	}
//
// With onionbalance_master set, the hoster is one Onionbalance instance of
// a site scaled across replicas: tor publishes the instance descriptor that
// the Onionbalance frontend merges (HiddenServiceOnionbalanceInstance 1 and
// the ob_config file in the key directory), and the records printed are the
// master's, the address visitors use.
//
// Tor's own DoS defences (Defenses: streams per circuit, introduction rate
// limits, proof of work under load) are on by default, with the values
// shown; PoW is off, and cannot be turned on, for an Onionbalance instance.
//
// The http server that tor forwards to listens on unix/<data_dir>/http.sock
// (see SocketPath) with the proxy_protocol listener wrapper.
//
// With stellar_socks on, tor also opens a SOCKS port on the unix socket
// <data_dir>/stellar-socks.sock (StellarSocksPath) for the hoster's own
// Stellar traffic: whoever runs the Stellar RPC or Horizon then sees a tor
// exit submitting payments to the payee of the site's 402, not the onion
// site's server. The socket is tor's default mode (neither GroupWritable
// nor WorldWritable) in the 0700 data directory (or the 0700
// stellar_socks_dir), so only the hoster's user can reach it, and it isolates by SOCKS credentials
// (IsolateSOCKSAuth): the user name stellarpay.StellarIsolation keeps that
// traffic on circuits of its own. Without it tor has no SOCKS port at all.
package onionservice

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddy.RegisterModule(App{})
}

// ErrTorMissing is returned when the tor executable cannot be found.
var ErrTorMissing = errors.New("tor executable not found: install tor (Debian/Ubuntu: apt-get install tor) or set tor_path")

// Stdout is where the records to publish are printed. Only the address and
// public records are ever written here, never key material.
var Stdout io.Writer = os.Stdout

// tors holds one running tor per data directory. Caddy starts the new
// config's apps before it stops the old ones, so a reload only adds and
// drops a reference and the same tor keeps running.
var tors = caddy.NewUsagePool()

// printed remembers which ids this process has announced, so a config reload
// does not print the records again.
var printed sync.Map

// App runs tor and publishes the site as a v3 onion service.
type App struct {
	// DataDir holds the onion key (onion/hs_ed25519_secret_key, mode 0600),
	// tor's state (tor/) and the socket Caddy serves on (http.sock).
	// Default: "torplus" in Caddy's data directory.
	DataDir string `json:"data_dir,omitempty"`

	// Domain is the owner's DNS domain, used only to print the TXT record
	// name (torplus.<domain>). Optional.
	Domain string `json:"domain,omitempty"`

	// Torrc is a file of extra torrc lines appended to ours, for tuning tor
	// or joining a private Tor network (DirAuthority, TestingTorNetwork).
	Torrc string `json:"torrc,omitempty"`

	// TorPath is the tor executable. Default: "tor" from $PATH.
	TorPath string `json:"tor_path,omitempty"`

	// VirtualPort is the port visitors use on the onion address. Default 80.
	VirtualPort int `json:"virtual_port,omitempty"`

	// OnionbalanceMaster is the v3 onion address of the Onionbalance
	// frontend (master) when this hoster is one of its instances. The
	// instance keeps its own key; visitors and the printed records use the
	// master's address. Only the address is needed here, never the
	// master's key. Optional.
	OnionbalanceMaster string `json:"onionbalance_master,omitempty"`

	// StellarSocks opens tor's SOCKS port for the hoster's Stellar traffic
	// on StellarSocksPath(DataDir). Off by default: tor then has no SOCKS
	// port.
	StellarSocks bool `json:"stellar_socks,omitempty"`

	// StellarSocksDir, if set, holds the Stellar SOCKS socket instead of
	// DataDir: made 0700 when missing and, like DataDir, refused when
	// others can reach it. For a data volume whose root the hoster must
	// not chmod: on a Kubernetes fsGroup volume that makes the kubelet
	// re-chown every file, the onion key included, group-readable.
	StellarSocksDir string `json:"stellar_socks_dir,omitempty"`

	// Defenses are tor's onion-service DoS settings (their fields are the
	// app's own in JSON: max_streams, pow_defenses, …).
	Defenses

	key    *onion.Key
	master onion.ID
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "onion",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision loads or creates the onion key and prints the records to publish.
// It runs before tor starts, so the address is known at once.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	if a.DataDir == "" {
		a.DataDir = DefaultDataDir()
	}
	dir, err := filepath.Abs(a.DataDir)
	if err != nil {
		return fmt.Errorf("onion: data_dir: %w", err)
	}
	a.DataDir = dir
	if a.VirtualPort == 0 {
		a.VirtualPort = 80
	}
	if a.TorPath == "" {
		a.TorPath = "tor"
	}
	a.setDefaults(a.OnionbalanceMaster != "")
	if err := os.MkdirAll(a.DataDir, 0o700); err != nil {
		return fmt.Errorf("onion: data_dir: %w", err)
	}
	if a.StellarSocksDir != "" {
		if a.StellarSocksDir, err = filepath.Abs(a.StellarSocksDir); err != nil {
			return fmt.Errorf("onion: stellar_socks_dir: %w", err)
		}
	}
	if a.StellarSocks {
		if err := os.MkdirAll(a.socksDir(), 0o700); err != nil {
			return fmt.Errorf("onion: stellar_socks_dir: %w", err)
		}
	}
	key, created, err := onion.LoadOrCreateKey(KeyDir(a.DataDir))
	if err != nil {
		return err
	}
	a.key = key
	if a.OnionbalanceMaster != "" {
		if a.master, err = InstanceMaster(a.OnionbalanceMaster, key.ID()); err != nil {
			return err
		}
	}
	if err := a.writeObConfig(); err != nil {
		return err
	}
	if _, seen := printed.LoadOrStore(key.ID(), true); !seen {
		fmt.Fprint(Stdout, onion.Records{ID: a.PublicID(), Domain: a.Domain})
		fields := []zap.Field{
			zap.String("address", a.PublicID().Hostname()),
			zap.Bool("new_key", created),
			zap.String("key_file", filepath.Join(KeyDir(a.DataDir), onion.SecretKeyFile)),
		}
		if a.master != "" {
			fields = append(fields, zap.String("onionbalance_instance", key.ID().Hostname()))
		}
		a.logger.Info("onion service address", fields...)
	}
	return nil
}

// Validate checks the settings that can be checked before tor starts.
func (a *App) Validate() error {
	if a.VirtualPort < 1 || a.VirtualPort > 65535 {
		return fmt.Errorf("onion: virtual_port %d out of range", a.VirtualPort)
	}
	if a.Torrc != "" {
		if _, err := os.Stat(a.Torrc); err != nil {
			return fmt.Errorf("onion: torrc: %w", err)
		}
	}
	if err := a.validate(a.OnionbalanceMaster != ""); err != nil {
		return err
	}
	if _, err := exec.LookPath(a.TorPath); err != nil {
		return fmt.Errorf("%w (%s)", ErrTorMissing, a.TorPath)
	}
	if err := a.checkSocksDir(); err != nil {
		return err
	}
	if err := checkTorrcPath(a.socksDir()); err != nil {
		return err
	}
	return checkTorrcPath(a.DataDir)
}

// ErrSocksDirNotPrivate means the data directory is open to others while
// tor is to listen on the Stellar SOCKS socket in it: tor refuses to (on
// some systems anyone who can list a socket can connect to it).
var ErrSocksDirNotPrivate = errors.New("onion: stellar_socks needs a private data_dir or stellar_socks_dir (mode 0700)")

// checkSocksDir checks, with StellarSocks on, that only the owner can
// reach the socket's directory, as tor requires of a unix SocksPort's
// directory.
func (a *App) checkSocksDir() error {
	if !a.StellarSocks {
		return nil
	}
	dir := a.socksDir()
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("onion: stellar_socks: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run chmod 700 %s", ErrSocksDirNotPrivate, dir, perm, dir)
	}
	return nil
}

// socksDir is the directory of the Stellar SOCKS socket: StellarSocksDir,
// else DataDir.
func (a *App) socksDir() string { return cmp.Or(a.StellarSocksDir, a.DataDir) }

// Start starts tor, or keeps the one an earlier config of this process
// started on the same data directory.
func (a *App) Start() error {
	conf, err := a.torConfig()
	if err != nil {
		return err
	}
	val, loaded, err := tors.LoadOrNew(a.DataDir, func() (caddy.Destructor, error) {
		return startSupervisor(conf, a.logger)
	})
	if err != nil {
		return err
	}
	if s := val.(*supervisor); loaded && s.conf.torrc != conf.torrc {
		a.logger.Warn("tor settings changed; they take effect when the hoster restarts")
	}
	return nil
}

// Stop drops this config's reference to tor; the last one stops it.
func (a *App) Stop() error {
	_, err := tors.Delete(a.DataDir)
	return err
}

// ID returns the onion id of this hoster's own key (valid after Provision);
// for an Onionbalance instance, PublicID is the address visitors use.
func (a *App) ID() onion.ID { return a.key.ID() }

// DefaultDataDir is the data directory used when none is configured.
func DefaultDataDir() string { return filepath.Join(caddy.AppDataDir(), "torplus") }

// KeyDir is the hidden-service directory (tor's HiddenServiceDir) in dataDir.
func KeyDir(dataDir string) string { return filepath.Join(dataDir, "onion") }

// SocketPath is the unix socket in dataDir that tor forwards visitors to and
// the http server listens on ("unix/" + SocketPath(dir) in a listen address).
func SocketPath(dataDir string) string { return filepath.Join(dataDir, "http.sock") }

// StellarSocksPath is tor's SOCKS port for the hoster's Stellar traffic
// in dir, the data dir or stellar_socks_dir (with StellarSocks on): a unix
// socket, so no other local user can reach it and no TCP port can collide.
func StellarSocksPath(dir string) string { return filepath.Join(dir, "stellar-socks.sock") }

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
	_ caddy.Validator   = (*App)(nil)
)
