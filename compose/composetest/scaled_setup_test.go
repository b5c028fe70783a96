package composetest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/dockertest"
	"github.com/torplus/torplus/internal/onion"
	"github.com/torplus/torplus/internal/tornet"
)

// Paths and images of the scaled topology (deploy/), run on Docker as the
// Kubernetes "scaled" overlay runs it: hoster replicas with the overlay's
// Caddyfile, and the Onionbalance frontend (its tor and onionbalance, two
// containers of one image sharing the control socket).
const (
	deployCaddyfile  = "../../deploy/base/Caddyfile"
	onionbalanceDir  = "../../deploy/onionbalance"
	onionbalanceImg  = "torplus/onionbalance:composetest"
	hosterUID        = 10001 // the users the images run as
	onionbalanceUID  = 10002
	onionbalanceArgs = "--is-testnet" // 20 s voting rounds: the private network's time periods
)

var (
	obImageOnce sync.Once
	obImageErr  error
)

// onionbalanceImage builds deploy/onionbalance's Dockerfile (Debian's
// onionbalance and tor) on the base image images() made.
func onionbalanceImage(t *testing.T, e *dockertest.Engine) {
	t.Helper()
	obImageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		if obImageErr = e.Build(ctx, onionbalanceDir, "Dockerfile", onionbalanceImg); obImageErr == nil {
			fmt.Fprintf(os.Stderr, "built %s in %s\n", onionbalanceImg, time.Since(start).Round(time.Second))
		}
	})
	if obImageErr != nil {
		t.Fatal(obImageErr)
	}
}

// container is one running container of the scaled topology.
type container struct {
	e    *dockertest.Engine
	name string
}

// run starts a detached container with host networking, a read-only root
// file system, no capabilities and no privilege escalation (the pods'
// securityContext), and removes it when the test ends, logging its output
// if the test failed.
func run(ctx context.Context, t *testing.T, e *dockertest.Engine, name string, args ...string) *container {
	t.Helper()
	c := &container{e: e, name: fmt.Sprintf("tpscaled%d-%s", os.Getpid(), name)}
	base := []string{"run", "-d", "--name", c.name, "--network", "host", "--read-only", "--tmpfs", "/tmp",
		"--cap-drop", "ALL", "--security-opt", "no-new-privileges"}
	if _, err := e.Run(ctx, append(base, args...)...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := c.logs(cctx, "200")
			t.Logf("---- %s (last 200 lines) ----\n%s", name, out)
		}
		if _, err := e.Run(cctx, "rm", "-f", "-v", c.name); err != nil {
			t.Errorf("removing %s: %v", c.name, err)
		}
	})
	return c
}

// logs returns the container's output (stdout and stderr), the last tail
// lines or "all".
func (c *container) logs(ctx context.Context, tail string) (string, error) {
	cmd := exec.CommandContext(ctx, c.e.Docker, "logs", "--tail", tail, c.name)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitLog polls the container's output until it contains substr.
func (c *container) waitLog(ctx context.Context, t *testing.T, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.logs(ctx, "all")
		if err == nil && strings.Contains(out, substr) {
			return out
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("no %q in %s's output within %s (%v)", substr, c.name, timeout, err)
		}
		time.Sleep(time.Second)
	}
}

// scaledSite is the files and keys of one scaled site: the master key (the
// frontend's, the address visitors use), the site's files and the torrc
// lines that join the private Tor network (the hosters' with full
// descriptors: a microdescriptor hides that the exit reaches 127.0.0.0/8,
// where the simulated Stellar RPC listens; see internal/tornet).
type scaledSite struct {
	master      onion.ID
	masterDir   string // holds hs_ed25519_secret_key, owned by the frontend's user
	site        string
	torrc       string
	hosterTorrc string
}

// tempDir makes a short directory (unix sockets live in some) owned by uid,
// removed when the test ends.
func tempDir(t *testing.T, uid int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chownTree gives a directory tree to uid.
func chownTree(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// newScaledSite makes the master key (as "hoster address" would, in tor's
// key file format, which Onionbalance reads), the site and the torrc file.
func newScaledSite(t *testing.T, tn *tornet.Network, files map[string][]byte) *scaledSite {
	t.Helper()
	s := &scaledSite{masterDir: tempDir(t, onionbalanceUID), site: tempDir(t, 0)}
	key, _, err := onion.LoadOrCreateKey(s.masterDir)
	if err != nil {
		t.Fatal(err)
	}
	s.master = key.ID()
	chownTree(t, s.masterDir, onionbalanceUID)
	if err := os.Chmod(s.site, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		writeFile(t, filepath.Join(s.site, name), string(body), 0o644)
	}
	s.torrc = filepath.Join(tempDir(t, 0), "privnet.torrc")
	if err := os.Chmod(filepath.Dir(s.torrc), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.torrc, tn.JoinTorrc(), 0o644)
	s.hosterTorrc = filepath.Join(filepath.Dir(s.torrc), "hoster.torrc")
	writeFile(t, s.hosterTorrc, tn.JoinTorrc()+"UseMicrodescriptors 0\n", 0o644)
	return s
}

// replica is one hoster container: an Onionbalance instance with its own key.
type replica struct {
	*container
	name        string
	instance    onion.ID
	metricsAddr string
}

// startReplica starts the hoster image with deploy/base/Caddyfile, as the
// StatefulSet does: its volumes made and its init containers run
// (newDeployPod: its own onion key from the Secret, the fee account's seed
// of stellar), settings (the master's address, the store) in env, and the
// rpc backend on stellar's RPC, reached through the pod's tor.
func (s *scaledSite) startReplica(ctx context.Context, t *testing.T, e *dockertest.Engine, name string, env map[string]string, stellar *stellarNet) *replica {
	r, _ := s.startHoster(ctx, t, e, name, env, stellar)
	return r
}

// startHoster is startReplica that also returns the pod's volumes.
func (s *scaledSite) startHoster(ctx context.Context, t *testing.T, e *dockertest.Engine, name string, env map[string]string, stellar *stellarNet) (*replica, deployPod) {
	t.Helper()
	pod := newDeployPod(ctx, t, e, stellar.Fee)
	caddyfile, err := filepath.Abs(deployCaddyfile)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, instance: pod.instance, metricsAddr: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	args := append(pod.mountArgs(), "--user", fmt.Sprintf("%d:%d", hosterUID, hosterUID), "-v", s.site+":/srv/site:ro",
		"-v", caddyfile+":/etc/torplus/Caddyfile:ro", "-v", s.hosterTorrc+":/etc/torplus/extra.torrc:ro",
		"-e", "TORPLUS_STELLAR_RPC="+stellar.RPC,
		"-e", "TORPLUS_METRICS_BIND=127.0.0.1", "-e", "TORPLUS_METRICS_PORT="+strings.TrimPrefix(r.metricsAddr, "127.0.0.1:"))
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	args = append(args, hosterImage, "run", "--config", "/etc/torplus/Caddyfile", "--adapter", "caddyfile")
	r.container = run(ctx, t, e, name, args...)
	return r, pod
}

// startOnionbalance starts the frontend: its tor, then onionbalance with a
// config listing the replicas' instance addresses, as the Deployment does.
func (s *scaledSite) startOnionbalance(ctx context.Context, t *testing.T, e *dockertest.Engine, replicas []*replica) (tor, ob *container) {
	t.Helper()
	conf := tempDir(t, onionbalanceUID)
	var b strings.Builder
	b.WriteString("services:\n- key: /etc/onionbalance/master/" + onion.SecretKeyFile + "\n  instances:\n")
	for _, r := range replicas {
		fmt.Fprintf(&b, "  - address: %s\n    name: %s\n", r.instance, r.name)
	}
	writeFile(t, filepath.Join(conf, "config.yaml"), b.String(), 0o600)
	chownTree(t, conf, onionbalanceUID)
	runDir, data := tempDir(t, onionbalanceUID), tempDir(t, onionbalanceUID)
	mounts := []string{"-v", runDir + ":/run/onionbalance", "-v", data + ":/var/lib/onionbalance",
		"-v", s.torrc + ":/etc/onionbalance/extra.torrc:ro",
		"-v", filepath.Join(conf, "config.yaml") + ":/etc/onionbalance/config.yaml:ro",
		"-v", s.masterDir + ":/etc/onionbalance/master:ro"}
	tor = run(ctx, t, e, "onionbalance-tor", append(append(mounts, "--entrypoint", "onionbalance-tor"), onionbalanceImg)...)
	ob = run(ctx, t, e, "onionbalance", append(mounts, onionbalanceImg, onionbalanceArgs)...)
	return tor, ob
}

// scrapeBytes sums torplus_bytes_served_total over the replicas' metrics
// endpoints (the port the ServiceMonitor scrapes).
func scrapeBytes(ctx context.Context, t *testing.T, replicas []*replica) float64 {
	t.Helper()
	var sum float64
	for _, r := range replicas {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.metricsAddr+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s metrics: %v", r.name, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s metrics: %s (%v)", r.name, resp.Status, err)
		}
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			if !strings.HasPrefix(line, "torplus_bytes_served_total") {
				continue
			}
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				t.Fatalf("%s metrics: %q: %v", r.name, line, err)
			}
			sum, found = sum+v, true
		}
		if !found {
			t.Fatalf("%s metrics have no torplus_bytes_served_total:\n%s", r.name, body)
		}
	}
	return sum
}
