package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/cretz/bine/control"
	"github.com/spf13/cobra"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "health",
		Usage: "[--data-dir <dir>] [--timeout <duration>]",
		Short: "Exits 0 when the onion site is serving and published (for HEALTHCHECK)",
		Long: `
Checks a running hoster through its data directory and exits 0 only when
all of these hold:

  - the web server answers on the socket tor forwards visitors to
    (<data-dir>/http.sock) with a status below 500 (so a reverse proxy
    whose upstream is down is unhealthy);
  - tor has bootstrapped to 100%;
  - tor holds a descriptor for the site's onion id and has at least one
    established introduction circuit for it: the service is published
    (tor uploads the descriptor as soon as its introduction points are up).

Otherwise it prints what is missing on stderr and exits 1. It reads tor's
control port from the file bine wrote in <data-dir>/tor and authenticates
with tor's cookie, so it must run as the hoster's user.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("data-dir", "", "The hoster's data directory (default: "+onionservice.DefaultDataDir()+")")
			cmd.Flags().Duration("timeout", 8*time.Second, "Give up after this long")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdHealth)
		},
	})
}

// Reasons "hoster health" reports a site as unhealthy.
var (
	ErrNotServing     = errors.New("web server not answering on the onion socket")
	ErrTorUnreachable = errors.New("tor's control port not reachable")
	ErrNotBootstrap   = errors.New("tor has not bootstrapped to 100%")
	ErrNotPublished   = errors.New("onion service not published yet")
)

func cmdHealth(fl caddycmd.Flags) (int, error) {
	dataDir := fl.String("data-dir")
	if dataDir == "" {
		dataDir = onionservice.DefaultDataDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), fl.Duration("timeout"))
	defer cancel()
	id, err := checkHealth(ctx, dataDir)
	if err != nil {
		return 1, err
	}
	fmt.Printf("healthy: http://%s serving and published\n", id.Hostname())
	return 0, nil
}

// checkHealth runs the checks of "hoster health" and returns the site's id.
func checkHealth(ctx context.Context, dataDir string) (onion.ID, error) {
	key, err := onion.LoadKey(onionservice.KeyDir(dataDir))
	if err != nil {
		return "", err
	}
	id := key.ID()
	if err := checkServing(ctx, onionservice.SocketPath(dataDir)); err != nil {
		return id, fmt.Errorf("%w: %v", ErrNotServing, err)
	}
	return id, checkPublished(ctx, filepath.Join(dataDir, "tor"), id)
}

// healthCircuit is the PROXY header the health check sends: a circuit as
// tor announces one, with an id no tor reaches in practice, so the meter
// lets HEAD / through to the site (a request without one is a clearnet
// client, which the meter refuses with 403 whether or not the site works).
// A HEAD carries no body: the check spends no allowance.
const healthCircuit = "PROXY TCP6 fc00:dead:beef:4dad::ffff:fffe ::1 65534 80\r\n"

// checkServing sends HEAD / over the unix socket, as tor would deliver a
// visitor, and wants an answer below 500 (a reverse proxy whose web server
// is down answers 502).
func checkServing(ctx context.Context, socket string) error {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", socket)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(c, healthCircuit); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://localhost/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "torplus-health")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("HEAD / answered %s", resp.Status)
	}
	return nil
}

// checkPublished asks tor, through its control port, whether it has
// bootstrapped and published the service.
func checkPublished(ctx context.Context, torDir string, id onion.ID) error {
	addr, err := controlAddr(torDir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTorUnreachable, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTorUnreachable, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	conn := control.NewConn(textproto.NewConn(nc))
	defer conn.Close()
	if err := conn.Authenticate(""); err != nil {
		return fmt.Errorf("%w: authenticate: %v", ErrTorUnreachable, err)
	}
	info, err := conn.GetInfo("status/bootstrap-phase", "circuit-status")
	if err != nil || len(info) != 2 {
		return fmt.Errorf("%w: GETINFO: %v", ErrTorUnreachable, err)
	}
	if !strings.Contains(info[0].Val, "PROGRESS=100 ") {
		return fmt.Errorf("%w: %s", ErrNotBootstrap, info[0].Val)
	}
	if !introEstablished(info[1].Val, string(id)) {
		return fmt.Errorf("%w: no established introduction circuit", ErrNotPublished)
	}
	if _, err := conn.GetInfo("hs/service/desc/id/" + string(id)); err != nil {
		return fmt.Errorf("%w: no descriptor: %v", ErrNotPublished, err)
	}
	return nil
}

// introEstablished reports whether circuit-status lists an established
// introduction circuit of the service id.
func introEstablished(circuits, id string) bool {
	for _, line := range strings.Split(circuits, "\n") {
		if strings.Contains(line, " PURPOSE=HS_SERVICE_INTRO") &&
			strings.Contains(line, " HS_STATE=HSSI_ESTABLISHED") &&
			strings.Contains(line, " REND_QUERY="+id) {
			return true
		}
	}
	return false
}

// controlAddr reads the control port that tor wrote to the newest
// control-port-* file bine created in torDir ("PORT=127.0.0.1:9051").
func controlAddr(torDir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(torDir, "control-port-*"))
	if err != nil {
		return "", err
	}
	var newest string
	var newestAt time.Time
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Size() > 0 && st.ModTime().After(newestAt) {
			newest, newestAt = f, st.ModTime()
		}
	}
	if newest == "" {
		return "", fmt.Errorf("no control-port file in %s (is the hoster running?)", torDir)
	}
	return parseControlPortFile(newest)
}

func parseControlPortFile(path string) (string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	addr, err := parseControlPort(string(text))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return addr, nil
}

// parseControlPort reads the "PORT=host:port" line tor writes with
// ControlPortWriteToFile.
func parseControlPort(text string) (string, error) {
	for _, line := range strings.Split(text, "\n") {
		if addr, ok := strings.CutPrefix(strings.TrimSpace(line), "PORT="); ok {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return "", err
			}
			return addr, nil
		}
	}
	return "", errors.New("no PORT= line")
}
