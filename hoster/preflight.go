package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Things "hoster serve" needs from the machine, checked before it starts
// so that the owner reads what is wrong instead of Caddy's error chain.
var (
	// ErrTorMissing means the tor executable was not found.
	ErrTorMissing = errors.New("tor not found: install it (Debian/Ubuntu: apt-get install tor) or give its path with --tor")
	// ErrPortInUse means another program listens on an address the hoster needs.
	ErrPortInUse = errors.New("port in use by another program")
	// ErrDataDirOpen means others can reach the data directory, where tor
	// is to listen on the socket that carries the hoster's Stellar traffic.
	ErrDataDirOpen = errors.New("others can reach it, and tor listens for the hoster's Stellar traffic only in a private directory")
)

// preflight checks tor and the loopback ports of the admin API and the
// dashboard. A port is tried by listening on it and letting it go: the
// window until Caddy takes it is short, and Caddy's own error remains if
// another program wins it.
func preflight(o serveOptions) error {
	tor := o.tor
	if tor == "" {
		tor = "tor"
	}
	if _, err := exec.LookPath(tor); err != nil {
		return fmt.Errorf("%w (%s %s)", ErrTorMissing, flagName("tor"), tor)
	}
	if stellarSocks(o, o.dataDir) != "" {
		if st, err := os.Stat(o.dataDir); err == nil && st.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s %s has mode %04o: %w; run chmod 700 %s (or give %s)", flagName("data-dir"), o.dataDir, st.Mode().Perm(),
				ErrDataDirOpen, o.dataDir, flagName("stellar-direct"))
		}
	}
	for _, p := range []struct{ flag, addr string }{{"admin", o.admin}, {"dashboard", o.dashboard}} {
		if p.addr == "" || p.addr == "off" || strings.HasPrefix(p.addr, "unix/") {
			continue
		}
		ln, err := net.Listen("tcp", p.addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s %s: %w; stop that program or choose another address (or %s off)", flagName(p.flag), p.addr, ErrPortInUse, flagName(p.flag))
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", flagName(p.flag), p.addr, err)
		}
		ln.Close()
	}
	return nil
}
