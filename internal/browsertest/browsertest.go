// Package browsertest starts Debian's headless Chromium for tests that
// check a page as a person sees it (the dashboard, the beacon script), and
// keeps the screenshots they take as test artifacts.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// ArtifactsEnv names the directory screenshots are kept in. Unset, they go
// to the test's t.ArtifactDir(): kept under go test's -outputdir with
// -artifacts, else removed when the test ends.
const ArtifactsEnv = "TORPLUS_TEST_ARTIFACTS"

// Start starts headless Chromium with a throw-away profile and a 1200 ×
// 900 window, and returns a chromedp context of its first tab; opts come
// last, so chromedp.WindowSize(390, 844) makes it a phone's screen and
// chromedp.ProxyServer sends its traffic through a proxy. Chromium is
// stopped (by its PID, through chromedp) when the test ends. A machine
// without it fails the test, saying what to install.
func Start(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("headless Chromium is needed: install Debian's chromium (apt-get install chromium): %v", err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900),
	}, opts...)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// Screenshot saves a full-page PNG of the tab's page as name in the
// artifacts directory (ArtifactsEnv, else t.ArtifactDir()), logs where and
// returns the path.
func Screenshot(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return Keep(t, name, png)
}

// Keep writes data (a screenshot taken otherwise) as name in the
// artifacts directory (ArtifactsEnv, else t.ArtifactDir()), logs where and
// returns the path.
func Keep(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, name)
	if err := os.WriteFile(shot, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	return shot
}
