// Package npmtest installs pinned npm packages for tests, once, into a
// cache directory shared between test runs, and runs Node scripts
// against them: how tests drive the official JavaScript SDKs unmodified.
// A test that needs npm or node and cannot find them fails and says what
// to install.
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

// installTimeout bounds one npm install; runTimeout one script.
const (
	installTimeout = 10 * time.Minute
	runTimeout     = 3 * time.Minute
)

// CacheDir is where installed packages are kept between test runs:
// $TORPLUS_NPM_CACHE, else the user cache dir's torplus/npm.
func CacheDir() (string, error) {
	if d := os.Getenv("TORPLUS_NPM_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "torplus", "npm"), nil
}

// Install returns a directory whose node_modules holds pkgs, each
// "name@exact-version", installing them the first time. The directory is
// named for the package list, so another list never reuses it, and is
// renamed into place whole, so a parallel test never sees half of it.
func Install(t testing.TB, pkgs ...string) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		t.Fatalf("npmtest: cache dir: %v", err)
	}
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n")))
	dir := filepath.Join(cache, "pkgs-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npmtest: npm not found; install it with: apt-get install nodejs npm (needed for %s)", strings.Join(pkgs, " "))
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	tmp, err := os.MkdirTemp(cache, ".install-*")
	if err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private":true,"type":"module"}`), 0o644); err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, append([]string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact"}, pkgs...)...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npmtest: npm install %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules")); statErr != nil {
			t.Fatalf("npmtest: %v", err)
		}
	}
	return dir
}

// Run writes the module src into dir (so its imports resolve to dir's
// node_modules), runs it with node and env added to the environment, and
// returns its standard output; a failing script fails the test with its
// standard error. name only labels errors.
func Run(t testing.TB, dir, name string, src []byte, env ...string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("npmtest: node not found; install it with: apt-get install nodejs")
	}
	f, err := os.CreateTemp(dir, "script-*.mjs")
	if err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(src); err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, f.Name())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("npmtest: node %s: %v\n%s", name, err, stderr.String())
	}
	return stdout.Bytes()
}
