package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
)

// AdminSocketFile is the admin API's unix socket in the data directory,
// where "hoster serve" puts it unless --admin says otherwise. Only the
// hoster's user can connect (mode 0600, in the 0700 data directory): a
// TCP port on loopback is open to every local user.
const AdminSocketFile = "admin.sock"

// adminSocketMode is the socket's mode, as Caddy's "|mode" suffix says it.
const adminSocketMode = "0600"

// ErrAdminOff means the admin API is off, so there is nothing to ask.
var ErrAdminOff = errors.New("the admin API is off")

// adminListen is the admin listen address of --admin for dataDir: its
// unix socket when the flag is empty, else the flag as given ("off", a
// loopback host:port, "unix/<path>").
func adminListen(flag, dataDir string) string {
	if flag == "" {
		return "unix/" + filepath.Join(dataDir, AdminSocketFile) + "|" + adminSocketMode
	}
	return flag
}

// adminClient returns the base URL and an HTTP client for the admin API
// of the hoster on dataDir whose --admin was flag (see adminListen).
func adminClient(flag, dataDir string) (string, *http.Client, error) {
	addr := adminListen(flag, dataDir)
	if addr == "off" {
		return "", nil, ErrAdminOff
	}
	sock, ok := strings.CutPrefix(addr, "unix/")
	if !ok {
		return "http://" + addr, &http.Client{}, nil
	}
	sock, _, _ = strings.Cut(sock, "|") // the socket's mode
	return "http://admin", &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}, nil
}

// adminName is how the tools name the admin API of flag and dataDir in
// their messages.
func adminName(flag, dataDir string) string {
	addr := adminListen(flag, dataDir)
	if sock, ok := strings.CutPrefix(addr, "unix/"); ok {
		sock, _, _ = strings.Cut(sock, "|")
		return sock
	}
	return addr
}
