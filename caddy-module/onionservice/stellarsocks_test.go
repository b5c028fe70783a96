package onionservice

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/stellarpay"
)

func TestTorrcStellarSocks(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		on    bool
		want  string
		never string
	}{
		{"off: no SOCKS port", false, "SocksPort 0\n", "stellar-socks.sock"},
		{"on: a unix socket isolated by credentials", true,
			`SocksPort unix:"` + filepath.Join(dir, "stellar-socks.sock") + `" IsolateSOCKSAuth` + "\n", "Writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &App{DataDir: dir, VirtualPort: 80, StellarSocks: tt.on}
			text, err := a.torrcText()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, tt.want) || strings.Contains(text, tt.never) || strings.Count(text, "SocksPort") != 1 {
				t.Fatalf("torrc wants %q once and never %q:\n%s", tt.want, tt.never, text)
			}
			verifyTorrc(t, dir, text) // the real tor accepts it
		})
	}
}

func TestStellarSocksOption(t *testing.T) {
	tests := []struct {
		input string
		want  bool
		err   error
	}{
		{"onion {\n stellar_socks on\n}", true, nil},
		{"onion {\n stellar_socks off\n}", false, nil},
		{"onion {\n stellar_socks maybe\n}", false, ErrOnOff},
	}
	for _, tt := range tests {
		var a App
		err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
		if !errors.Is(err, tt.err) || a.StellarSocks != tt.want {
			t.Errorf("%q: StellarSocks %v, err %v; want %v, %v", tt.input, a.StellarSocks, err, tt.want, tt.err)
		}
	}
}

// TestStellarSocksBeforeBootstrap starts the real tor with the Stellar
// SOCKS port and a network it cannot join (its only bridge refuses
// connections: tor never bootstraps, as before it has): the socket
// is in the data dir, only its owner may use it, and a Stellar request
// through it waits and fails as a timeout of that request (or at once, for
// an address tor refuses), while a server on 127.0.0.1 it was meant for
// sees no connection at all: nothing goes direct while tor cannot carry it.
func TestStellarSocksBeforeBootstrap(t *testing.T) {
	dir, err := os.MkdirTemp("", "tpss") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := startOfflineSocksTor(t, &App{DataDir: dir, StellarSocks: true}, dir)
	if dirSt, err := os.Stat(dir); err != nil || dirSt.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v); want 0700", dirSt.Mode(), err)
	}

	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	var reached atomic.Int32
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			reached.Add(1)
			c.Close()
		}
	}()
	hc, err := stellarpay.TorHTTPClient("unix:"+sock, stellarpay.StellarIsolation, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// A public name waits for a circuit that never comes: the request
	// times out. A loopback address is refused by tor at once. Neither
	// reaches the server directly.
	for _, u := range []string{"http://soroban-testnet.stellar.org/", "http://" + target.Addr().String() + "/"} {
		resp, err := hc.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s through a tor that has not bootstrapped was answered: %s", u, resp.Status)
		}
		var nerr net.Error
		if strings.Contains(u, "stellar.org") && (!errors.As(err, &nerr) || !nerr.Timeout()) {
			t.Fatalf("GET %s through a tor that has not bootstrapped: %v; want a timeout", u, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the target saw %d direct connection(s)", n)
	}
}

// TestStellarSocksNeedsPrivateDir: tor listens on the Stellar socket only
// in a directory no one else can reach; a looser data dir is refused
// before tor starts, with the fix.
func TestStellarSocksNeedsPrivateDir(t *testing.T) {
	for _, tt := range []struct {
		mode  os.FileMode
		socks bool
		err   error
	}{{0o700, true, nil}, {0o750, true, ErrSocksDirNotPrivate}, {0o755, true, ErrSocksDirNotPrivate}, {0o755, false, nil}} {
		dir := t.TempDir()
		if err := os.Chmod(dir, tt.mode); err != nil {
			t.Fatal(err)
		}
		a := &App{DataDir: dir, StellarSocks: tt.socks}
		if _, err := provision(t, a); err != nil {
			t.Fatal(err)
		}
		err := a.Validate()
		if !errors.Is(err, tt.err) || (err != nil && !strings.Contains(err.Error(), "chmod 700 "+dir)) {
			t.Errorf("mode %04o, stellar_socks %v: %v; want %v with the fix", tt.mode, tt.socks, err, tt.err)
		}
	}
}

// startOfflineSocksTor provisions a (with stellar_socks on) to run the
// real tor on a network it cannot join (its only bridge, in work, refuses
// connections: it never bootstraps), starts it, stopped when the test
// ends, and returns the Stellar SOCKS socket once tor listens on it, owner
// only.
func startOfflineSocksTor(t *testing.T, a *App, work string) string {
	t.Helper()
	a.Torrc = filepath.Join(work, "extra.torrc")
	if err := os.WriteFile(a.Torrc, []byte("UseBridges 1\nBridge 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := provision(t, a); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	conf, err := a.torConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := startSupervisor(conf, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Destruct() })
	sock := StellarSocksPath(a.socksDir())
	var st os.FileInfo
	for i := 0; i < 100; i++ { // tor opens its listeners within a second or so
		if st, err = os.Stat(sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("tor made no SOCKS socket at %s: %v", sock, err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("%s: mode %v; want a socket only its owner can use", sock, st.Mode())
	}
	return sock
}
