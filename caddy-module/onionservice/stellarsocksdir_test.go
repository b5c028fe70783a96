package onionservice

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// TestStellarSocksDirOnGroupVolume: a data dir shaped like a Kubernetes
// fsGroup volume's root (02770, which the hoster must not chmod: the
// kubelet would then re-chown every file in it, the onion key included)
// with stellar_socks_dir elsewhere: the socket's directory is made 0700,
// the real tor listens there, owner-only, and the data dir keeps its mode.
func TestStellarSocksDirOnGroupVolume(t *testing.T) {
	work, err := os.MkdirTemp("", "tpsd") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	data, socks := filepath.Join(work, "data"), filepath.Join(work, "run", "stellar")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, groupVolume); err != nil {
		t.Fatal(err)
	}
	startOfflineSocksTor(t, &App{DataDir: data, StellarSocks: true, StellarSocksDir: socks}, work)
	if _, err := os.Stat(StellarSocksPath(data)); !os.IsNotExist(err) {
		t.Fatalf("a socket in the data dir too (%v)", err)
	}
	for dir, want := range map[string]os.FileMode{socks: 0o700, data: groupVolume} {
		if st, err := os.Stat(dir); err != nil || st.Mode()&(os.ModePerm|os.ModeSetgid) != want {
			t.Errorf("%s: mode %v (%v); want %v", dir, st.Mode(), err, want)
		}
	}
}

// TestStellarSocksDirRefusedWhenOpen: a stellar_socks_dir others can reach
// is refused before tor starts, with the fix; so is a data dir others can
// reach when the socket is to be in it.
func TestStellarSocksDirRefusedWhenOpen(t *testing.T) {
	for _, tt := range []struct {
		name             string
		dataMode, sdMode os.FileMode
		socksDir         bool
		err              error
		fixed            string // the directory the fix names
	}{
		{"socket dir 0750", groupVolume, 0o750, true, ErrSocksDirNotPrivate, "socks"},
		{"socket dir 0700, data dir 02770", groupVolume, 0o700, true, nil, ""},
		{"no socket dir, data dir 02770", groupVolume, 0, false, ErrSocksDirNotPrivate, "data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			dirs := map[string]string{"data": filepath.Join(work, "data"), "socks": filepath.Join(work, "socks")}
			a := &App{DataDir: dirs["data"], StellarSocks: true}
			mkdirMode(t, dirs["data"], tt.dataMode)
			if tt.socksDir {
				a.StellarSocksDir = dirs["socks"]
				mkdirMode(t, dirs["socks"], tt.sdMode)
			}
			if _, err := provision(t, a); err != nil {
				t.Fatal(err)
			}
			err := a.Validate()
			if !errors.Is(err, tt.err) || (err != nil && !strings.Contains(err.Error(), "chmod 700 "+dirs[tt.fixed])) {
				t.Fatalf("%v; want %v naming chmod 700 %s", err, tt.err, dirs[tt.fixed])
			}
		})
	}
}

// groupVolume is the mode the kubelet gives an fsGroup volume's root.
const groupVolume = 0o770 | os.ModeSetgid

func mkdirMode(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func TestStellarSocksDirOption(t *testing.T) {
	var a App
	if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser("onion /d {\n stellar_socks on\n stellar_socks_dir /run/torplus/stellar\n}")); err != nil {
		t.Fatal(err)
	}
	if !a.StellarSocks || a.StellarSocksDir != "/run/torplus/stellar" {
		t.Fatalf("StellarSocks %v, StellarSocksDir %q", a.StellarSocks, a.StellarSocksDir)
	}
	text, err := a.torrcText()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, `SocksPort unix:"/run/torplus/stellar/stellar-socks.sock" IsolateSOCKSAuth`) {
		t.Fatalf("torrc:\n%s", text)
	}
}
