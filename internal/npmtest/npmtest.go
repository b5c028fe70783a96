// Package npmtest installs pinned npm packages at test time and runs node
// scripts against them, so a Go test can check our wire formats against a
// second implementation of the same standard (x402's @x402/core, the
// Payment scheme's mppx).
//
// Packages are installed once per set into a cache directory outside the
// repository ($TORPLUS_NPM_CACHE, else $XDG_CACHE_HOME/torplus/npm or
// ~/.cache/torplus/npm, where internal/enstest keeps its tarballs too) and
// never committed. A test that cannot find node or npm fails with a message
// saying what to install: these checks are not optional extras.
package npmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// installTimeout bounds one npm install; a cold cache over the proxy takes
// well under a minute for the packages we use.
const installTimeout = 5 * time.Minute

// cacheDir is where installed package sets live between test runs.
func cacheDir(t testing.TB) string {
	if d := os.Getenv("TORPLUS_NPM_CACHE"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("npmtest: cache dir: %v", err)
	}
	return filepath.Join(base, "torplus", "npm")
}

// Install returns a directory whose node_modules holds exactly the given
// packages ("name@version", versions pinned), installing them the first
// time. The install runs in a scratch directory that is renamed into place,
// so parallel test binaries never see half an install. Peer dependencies
// are not installed implicitly (--legacy-peer-deps): list every package a
// script needs, so the versions stay pinned.
func Install(t testing.TB, pkgs ...string) string {
	t.Helper()
	for _, p := range pkgs {
		if i := strings.LastIndex(p, "@"); i <= 0 {
			t.Fatalf("npmtest: %q has no pinned version", p)
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n")))
	root := cacheDir(t)
	dir := filepath.Join(root, "install-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npmtest: npm not found; install it with: apt-get install nodejs npm (needed for %s)", strings.Join(pkgs, " "))
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	tmp, err := os.MkdirTemp(root, ".install-*")
	if err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private":true,"type":"module"}`+"\n"), 0o644); err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	args := append([]string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps", "--save-exact"}, pkgs...)
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npmtest: npm install %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "node_modules")); serr == nil {
			return dir // another test binary finished first
		}
		t.Fatalf("npmtest: %v", err)
	}
	return dir
}

// Node runs an ES module script with node in dir (from Install), giving it
// stdin and returning what it wrote to stdout. A non-zero exit fails the
// test with the script's stderr, so a refusal by the other implementation
// reads as what it said.
func Node(t testing.TB, dir, script string, stdin []byte) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("npmtest: node not found; install it with: apt-get install nodejs")
	}
	out, err := run(node, dir, script, stdin)
	if err != nil {
		t.Fatalf("npmtest: node: %v\n%s", err, out)
	}
	return out
}

// scriptTimeout bounds one node run; these scripts do a few parses.
const scriptTimeout = time.Minute

func run(node, dir, script string, stdin []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stderr.Bytes(), err
	}
	return stdout.Bytes(), nil
}
