package composetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/dockertest"
	"github.com/torplus/torplus/internal/onion"
	"github.com/torplus/torplus/internal/tornet"
)

var addressLine = regexp.MustCompile(`onion address:\s+http://([a-z2-7]{56})\.onion`)

// TestComposeStackEndToEnd builds the real Dockerfile, brings the project's
// compose stack (hoster + nginx) up with docker-compose, its only change an
// env file whose TORRC_FILE joins the private Tor network, reads the onion
// address the container printed, fetches www-example's pages through Tor,
// waits for the healthcheck to turn healthy, then checks that down + up
// keeps the address and the site reachable, and that the "static" variant
// (the hoster serving the folder itself) publishes the same address.
func TestComposeStackEndToEnd(t *testing.T) {
	e, tn, ctx := stackTest(t)

	p, addrs := newStack(t, e, tn)
	stackStart := time.Now()
	if _, err := p.Run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}
	id := waitAddress(ctx, t, p, "hoster")
	t.Logf("cold start to address: %s (docker-compose up -d to the address in the container's log)", time.Since(stackStart).Round(10*time.Millisecond))
	fmt.Fprintf(os.Stderr, "cold start to onion address: %s\n", time.Since(stackStart).Round(10*time.Millisecond))
	logs := waitLog(ctx, t, p, "hoster", `torplus.example.test  TXT  "torplus=`+string(id)+`"`, time.Second)
	if !strings.Contains(logs, "ENS contenthash:  "+id.ContentHashHex()) {
		t.Fatalf("no ENS contenthash line for %s in the logs:\n%s", id, logs)
	}
	assertRunsUnprivileged(ctx, t, p)

	waitLog(ctx, t, p, "hoster", "onion service published", 4*time.Minute)
	t.Logf("published %s after %s", id, time.Since(stackStart).Round(time.Second))
	fetchPages(ctx, t, tn, id, "first", map[string]string{
		"/": "index.html", "/about.html": "about.html", "/css/site.css": "css/site.css", "/img/onion.png": "img/onion.png",
	})
	waitHealthy(ctx, t, p, "hoster", 3*time.Minute)
	assertAdminAnswers(ctx, t, addrs.admin)
	assertUnhealthyWithoutWeb(ctx, t, p)

	// down + up: the named volume keeps the key, hence the address.
	if _, err := p.Run(ctx, "down"); err != nil {
		t.Fatal(err)
	}
	restart := time.Now()
	if _, err := p.Run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}
	if again := waitAddress(ctx, t, p, "hoster"); again != id {
		t.Fatalf("address changed across down/up: %s, was %s", again, id)
	}
	t.Logf("warm start to address: %s", time.Since(restart).Round(10*time.Millisecond))
	waitLog(ctx, t, p, "hoster", "onion service published", 4*time.Minute)
	fetchPages(ctx, t, tn, id, "after-restart", map[string]string{"/articles/growing.html": "articles/growing.html"})
	waitHealthy(ctx, t, p, "hoster", 3*time.Minute)

	// The variant with no web server: the hoster serves the folder itself.
	if _, err := p.Run(ctx, "down"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, "up", "-d", "hoster-static"); err != nil {
		t.Fatal(err)
	}
	if out, _ := p.Run(ctx, "ps", "-q", "web"); strings.TrimSpace(out) != "" {
		t.Fatalf("the static variant started the web server too")
	}
	if again := waitAddress(ctx, t, p, "hoster-static"); again != id {
		t.Fatalf("static variant published %s, want the volume's %s", again, id)
	}
	waitLog(ctx, t, p, "hoster-static", "onion service published", 4*time.Minute)
	fetchPages(ctx, t, tn, id, "static", map[string]string{"/about.html": "about.html"})
}

// stackTest readies what a stack test needs: the docker engine, the
// images built from this tree, and the private Tor network (which
// bootstraps while the images build); ctx bounds the test at 20 minutes.
func stackTest(t *testing.T) (*dockertest.Engine, *tornet.Network, context.Context) {
	t.Helper()
	startPrivateTorNetwork()
	e := dockerEngine(t)
	images(t, e)
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return e, tn, ctx
}

// newStack writes the stack's env file (the settings an owner puts in .env,
// on free ports, and TORRC_FILE pointing at the private network's torrc
// lines) and returns a project that is taken down, volumes and all, when
// the test ends, and the admin API's address.
func newStack(t *testing.T, e *dockertest.Engine, tn *tornet.Network, settings ...string) (*dockertest.Project, stackAddrs) {
	t.Helper()
	dir := t.TempDir()
	torrc := filepath.Join(dir, "privnet.torrc")
	if err := os.WriteFile(torrc, []byte(tn.JoinTorrc()), 0o644); err != nil {
		t.Fatal(err)
	}
	site, err := filepath.Abs(siteDir)
	if err != nil {
		t.Fatal(err)
	}
	addrs := stackAddrs{admin: "127.0.0.1:" + strconv.Itoa(freePort(t)), dashboard: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	env := strings.Join(append([]string{
		"HOSTER_IMAGE=" + hosterImage,
		"WEB_IMAGE=" + webImage,
		"TORRC_FILE=" + torrc,
		"SITE_DIR=" + site,
		"WEB_PORT=" + strconv.Itoa(freePort(t)),
		"TORPLUS_ADMIN=" + addrs.admin,
		"TORPLUS_DASHBOARD=" + addrs.dashboard,
		"TORPLUS_DOMAIN=example.test",
	}, settings...), "\n") + "\n"
	envFile := filepath.Join(dir, "stack.env")
	if err := os.WriteFile(envFile, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Project(fmt.Sprintf("torplustest%d", os.Getpid()), file, envFile)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			for _, svc := range []string{"hoster", "web", "hoster-static"} {
				logs, _ := p.Logs(ctx, svc)
				t.Logf("%s logs:\n%s", svc, logs)
			}
		}
		if _, err := p.Run(ctx, "--profile", "static", "down", "--volumes", "--remove-orphans"); err != nil {
			t.Errorf("compose down: %v", err)
		}
	})
	return p, addrs
}

// stackAddrs are the loopback addresses a stack's hoster listens on.
type stackAddrs struct{ admin, dashboard string }

// waitAddress waits for the "onion address:" line in the service's log
// (a container that compose created anew, so an old line cannot match).
func waitAddress(ctx context.Context, t *testing.T, p *dockertest.Project, service string) onion.ID {
	t.Helper()
	logs := waitLog(ctx, t, p, service, "onion address:", 60*time.Second)
	m := addressLine.FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no onion address in the %s log:\n%s", service, logs)
	}
	id, err := onion.ParseID(m[1])
	if err != nil {
		t.Fatalf("printed address %s does not validate: %v", m[1], err)
	}
	return id
}

// waitLog polls the service's log until it contains substr, and returns it.
func waitLog(ctx context.Context, t *testing.T, p *dockertest.Project, service, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		logs, err := p.Logs(ctx, service)
		if err == nil && strings.Contains(logs, substr) {
			return logs
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("no %q in the %s log within %s (%v):\n%s", substr, service, timeout, err, logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitHealthy polls the container's health until docker reports healthy.
func waitHealthy(ctx context.Context, t *testing.T, p *dockertest.Project, service string, timeout time.Duration) {
	t.Helper()
	start := time.Now()
	var status string
	var err error
	for time.Since(start) < timeout && ctx.Err() == nil {
		if status, err = p.Health(ctx, service); err == nil && status == "healthy" {
			t.Logf("%s healthy after %s of waiting", service, time.Since(start).Round(time.Second))
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("%s not healthy within %s: %q (%v)", service, timeout, status, err)
}

// fetchPages fetches each page through the private Tor network and compares
// it with the file in www-example.
func fetchPages(ctx context.Context, t *testing.T, tn *tornet.Network, id onion.ID, user string, pages map[string]string) {
	t.Helper()
	for page, file := range pages {
		want := readSite(t, file)
		got, err := tn.GetEventually(ctx, user, "http://"+id.Hostname()+page, 12)
		if err != nil {
			t.Fatalf("%s through Tor: %v", page, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s through Tor: got %d bytes, want the %d bytes of %s", page, len(got), len(want), file)
		}
	}
}

// assertRunsUnprivileged checks the hoster and its tor run as the image's
// torplus user and that the onion key in the volume is 0600.
func assertRunsUnprivileged(ctx context.Context, t *testing.T, p *dockertest.Project) {
	t.Helper()
	out, err := p.Run(ctx, "exec", "-T", "hoster", "sh", "-c",
		"id -u; stat -c '%a %u' /var/lib/torplus/onion/hs_ed25519_secret_key; "+
			"for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = tor ] && stat -c %u $p; done; true")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out)
	if len(lines) != 4 || lines[0] != "10001" || lines[1] != "600" || lines[2] != "10001" || lines[3] != "10001" {
		t.Fatalf("want uid 10001, key 600 owned by 10001, tor as 10001; got %q", out)
	}
}

// assertUnhealthyWithoutWeb stops the web server and checks that the
// healthcheck command then fails, saying why; then starts it again.
func assertUnhealthyWithoutWeb(ctx context.Context, t *testing.T, p *dockertest.Project) {
	t.Helper()
	if _, err := p.Run(ctx, "stop", "web"); err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(ctx, "exec", "-T", "hoster", "hoster", "health", "--data-dir", "/var/lib/torplus")
	if err == nil || !strings.Contains(err.Error(), "web server not answering") {
		t.Fatalf("hoster health with the web server stopped: %v\n%s", err, out)
	}
	if _, err := p.Run(ctx, "start", "web"); err != nil {
		t.Fatal(err)
	}
	if out, err := p.Run(ctx, "exec", "-T", "hoster", "hoster", "health", "--data-dir", "/var/lib/torplus"); err != nil || !strings.Contains(out, "healthy: http://") {
		// nginx may take a moment to listen again.
		time.Sleep(3 * time.Second)
		if out, err = p.Run(ctx, "exec", "-T", "hoster", "hoster", "health", "--data-dir", "/var/lib/torplus"); err != nil {
			t.Fatalf("hoster health after the web server came back: %v\n%s", err, out)
		}
	}
}

// assertAdminAnswers checks the admin API answers on the 127.0.0.1 address
// of the env file.
func assertAdminAnswers(ctx context.Context, t *testing.T, addr string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/config/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin API on %s: %v", addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin API on %s: %s", addr, resp.Status)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
