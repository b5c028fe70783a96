package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
)

// TestAdminListen: with no --admin, serve's admin API is the data
// directory's unix socket, mode 0600; any --admin given is kept as is.
func TestAdminListen(t *testing.T) {
	dataDir := t.TempDir()
	tests := []struct{ flag, want string }{
		{"", "unix/" + filepath.Join(dataDir, AdminSocketFile) + "|0600"},
		{"127.0.0.1:2019", "127.0.0.1:2019"},
		{"unix//run/x.sock", "unix//run/x.sock"},
		{"off", "off"},
	}
	for _, tt := range tests {
		cfg, err := serveConfig(serveOptions{root: siteDir, dataDir: dataDir, admin: tt.flag})
		if err != nil {
			t.Fatalf("--admin %q: %v", tt.flag, err)
		}
		if got := cfg.Admin.Listen; got != tt.want && !(tt.want == "off" && cfg.Admin.Disabled) {
			t.Errorf("--admin %q listens on %q, want %q", tt.flag, got, tt.want)
		}
	}
	if _, _, err := adminClient("off", dataDir); !errors.Is(err, ErrAdminOff) {
		t.Errorf("a client of an admin API that is off: %v, want ErrAdminOff", err)
	}
}

// TestAdminSocketByDefault runs "hoster serve --demo" with no --admin (tor
// kept offline): the admin API answers on <data-dir>/admin.sock, a socket
// of mode 0600, and "hoster doctor" given only --data-dir finds it and
// reads the payment settings through it.
func TestAdminSocketByDefault(t *testing.T) {
	dataDir, offline := shortDataDir(t), offlineTorrc(t)
	h := startHoster(t, "serve", "--demo", "--root", siteDir, "--data-dir", dataDir, "--torrc", offline,
		"--dashboard", fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t)))
	h.waitLine(&h.stdout, "demo: payments go to", time.Minute)
	sock := filepath.Join(dataDir, AdminSocketFile)
	st, err := os.Stat(sock)
	if err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket %s: %v, %v; want a socket of mode 0600", sock, st, err)
	}
	base, client, err := adminClient("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/config/apps/onion", nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /config/apps/onion on the socket: %v, %v", resp, err)
	}
	resp.Body.Close()
	_, out, errOut := runHoster(t, nil, "doctor", "--data-dir", dataDir, "--timeout", "10s")
	if !strings.Contains(out, "ok: Stellar RPC http://127.0.0.1:") || strings.Contains(out, "cannot read the running config") {
		t.Fatalf("doctor did not read the payments through the socket:\n%s%s", out, errOut)
	}
	h.stop()
}
