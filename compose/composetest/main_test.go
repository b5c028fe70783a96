package composetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/dockertest"
	"github.com/torplus/torplus/internal/tornet"
)

// Paths of the project's files, from this package's directory.
const (
	repoRoot    = "../.."
	composeFile = "../docker-compose.yml"
	envExample  = "../.env.example"
	siteDir     = "../../www-example"
)

// Image tags the tests build (and name in the stack's env file).
const (
	hosterImage = "torplus/hoster:composetest"
	webImage    = "torplus/web-nginx:composetest"
)

var (
	scratch string // removed after a passing run

	engineOnce sync.Once
	engine     *dockertest.Engine
	engineErr  error

	netOnce    sync.Once
	netStarted bool
	netReady   = make(chan struct{}) // closed when netw or netErr is set
	netw       *tornet.Network
	netErr     error

	imagesOnce sync.Once
	imagesErr  error
)

func TestMain(m *testing.M) {
	var err error
	if scratch, err = os.MkdirTemp("", "torplus-composetest-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if netStarted {
		<-netReady
	}
	if netw != nil {
		netw.Stop()
	}
	if engine != nil {
		engine.Stop()
	}
	if code == 0 {
		os.RemoveAll(scratch)
	} else {
		fmt.Fprintf(os.Stderr, "logs kept in %s\n", scratch)
	}
	os.Exit(code)
}

// dockerEngine finds the tools and a running Docker engine (starting dockerd
// when none answers). It fails the test, never skips, when they are missing.
func dockerEngine(t *testing.T) *dockertest.Engine {
	t.Helper()
	engineOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		engine, engineErr = dockertest.Start(ctx, scratch)
		if engineErr == nil && engine.Started() {
			fmt.Fprintf(os.Stderr, "started dockerd (log in %s)\n", filepath.Join(scratch, "dockerd.log"))
		}
	})
	if engineErr != nil {
		t.Fatalf("Docker: %v", engineErr)
	}
	return engine
}

// startPrivateTorNetwork starts the private Tor network in the background;
// privateTorNetwork waits for it. Started early, it bootstraps while the
// images build.
func startPrivateTorNetwork() {
	netOnce.Do(func() { netStarted = true; go bootPrivateTorNetwork() })
}

func bootPrivateTorNetwork() {
	defer close(netReady)
	start := time.Now()
	dir := filepath.Join(scratch, "tornet")
	if netErr = os.MkdirAll(dir, 0o700); netErr != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if netw, netErr = tornet.Start(ctx, dir); netErr != nil {
		return
	}
	if netErr = netw.WaitBootstrapped(ctx); netErr != nil {
		netErr = fmt.Errorf("%w (logs in %s)", netErr, dir)
		return
	}
	fmt.Fprintf(os.Stderr, "private Tor network bootstrapped in %s\n", time.Since(start).Round(time.Second))
}

func privateTorNetwork(t *testing.T) *tornet.Network {
	t.Helper()
	startPrivateTorNetwork()
	<-netReady
	if netErr != nil {
		t.Fatalf("private Tor network: %v", netErr)
	}
	return netw
}

// images makes the base images (once per machine: they are kept in the
// engine) and builds the hoster image from the real Dockerfile, offline
// from a vendor tree, and the compose example's web server image. The
// builds are logged with their time and the hoster image's size.
func images(t *testing.T, e *dockertest.Engine) {
	t.Helper()
	imagesOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		imagesErr = buildImages(ctx, e)
	})
	if imagesErr != nil {
		t.Fatal(imagesErr)
	}
}

func buildImages(ctx context.Context, e *dockertest.Engine) error {
	bases, err := dockertest.ReadBaseImages(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return err
	}
	start := time.Now()
	if err := e.EnsureBaseImages(ctx, bases, scratch); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "base images %s and %s ready in %s\n", bases.Base, bases.Go, time.Since(start).Round(time.Second))

	start = time.Now()
	buildCtx := filepath.Join(scratch, "context")
	if err := dockertest.OfflineContext(ctx, repoRoot, buildCtx); err != nil {
		return err
	}
	if err := e.Build(ctx, buildCtx, "Dockerfile", hosterImage, "GOPROXY=off"); err != nil {
		return err
	}
	size, err := e.ImageSize(ctx, hosterImage)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built %s from the Dockerfile (offline, vendor tree) in %s: image size %.1f MB\n",
		hosterImage, time.Since(start).Round(time.Second), float64(size)/1e6)

	start = time.Now()
	if err := e.Build(ctx, filepath.Join(buildCtx, "compose", "web"), "Dockerfile", webImage); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built %s in %s\n", webImage, time.Since(start).Round(time.Second))
	return os.RemoveAll(buildCtx)
}
