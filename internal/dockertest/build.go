package dockertest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// OfflineContext writes a build context for the repository at repo into
// dst: the repository's files (tracked and untracked, as git lists them,
// minus ignored ones) and a vendor tree made from the host's module cache
// (go mod vendor), so the Dockerfile's offline path builds with no module
// proxy. Nothing in repo is changed.
func OfflineContext(ctx context.Context, repo, dst string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("dockertest: git ls-files in %s: %w", repo, err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" || strings.HasPrefix(name, "vendor/") {
			continue
		}
		if err := copyFile(filepath.Join(repo, name), filepath.Join(dst, name)); err != nil {
			if os.IsNotExist(err) {
				continue // listed by git but deleted in the work tree
			}
			return err
		}
	}
	// go mod vendor needs every module of the graph, those that only other
	// platforms import too (go-winio, mousetrap, …); a warm cache hides
	// that, a fresh machine does not. Download the whole graph first, from
	// the proxy the environment names, then vendor offline from the cache.
	download := exec.CommandContext(ctx, "go", "mod", "download")
	download.Dir = repo
	if out, err := download.CombinedOutput(); err != nil {
		return fmt.Errorf("dockertest: go mod download: %w\n%s", err, out)
	}
	vendor := exec.CommandContext(ctx, "go", "mod", "vendor", "-o", filepath.Join(dst, "vendor"))
	vendor.Dir = repo
	vendor.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := vendor.CombinedOutput(); err != nil {
		return fmt.Errorf("dockertest: go mod vendor (modules must be in the host's cache; run go mod download): %w\n%s", err, out)
	}
	return nil
}

func copyFile(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Build runs "docker build --network host" of dockerfile (relative to
// contextDir) and tags the image ref. args are --build-arg NAME=VALUE pairs.
func (e *Engine) Build(ctx context.Context, contextDir, dockerfile, ref string, args ...string) error {
	cmd := []string{"build", "--network", "host", "--file", filepath.Join(contextDir, dockerfile), "--tag", ref}
	for _, a := range args {
		cmd = append(cmd, "--build-arg", a)
	}
	if _, err := e.Run(ctx, append(cmd, contextDir)...); err != nil {
		return fmt.Errorf("dockertest: build %s: %w", ref, err)
	}
	return nil
}
