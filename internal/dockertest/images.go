package dockertest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// StandinLabel marks the base images this package made, so they are never
// taken for the real ones from a registry.
const StandinLabel = "org.torplus.dockertest.standin"

// DebianMirror is where debootstrap and apt inside builds fetch packages.
var DebianMirror = "http://deb.debian.org/debian"

// BaseImages are the base image references a Dockerfile's ARG lines name:
// BASE_IMAGE (a Debian slim image) and GO_IMAGE (the build stage's Go image).
type BaseImages struct {
	Base, Go string
}

var argLine = regexp.MustCompile(`^ARG\s+(BASE_IMAGE|GO_IMAGE)=(\S+)\s*$`)

// ReadBaseImages reads the default BASE_IMAGE and GO_IMAGE of a Dockerfile.
// GO_IMAGE is optional (a Dockerfile with no Go build stage).
func ReadBaseImages(dockerfile string) (BaseImages, error) {
	f, err := os.Open(dockerfile)
	if err != nil {
		return BaseImages{}, err
	}
	defer f.Close()
	var b BaseImages
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := argLine.FindStringSubmatch(sc.Text()); m != nil {
			if m[1] == "BASE_IMAGE" {
				b.Base = m[2]
			} else {
				b.Go = m[2]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return b, err
	}
	if b.Base == "" {
		return b, fmt.Errorf("dockertest: %s has no ARG BASE_IMAGE=<image> line", dockerfile)
	}
	return b, nil
}

// EnsureBaseImages makes the images b names, unless the engine has them:
// b.Base from debootstrap --variant=minbase of Debian bookworm, trimmed like
// the official slim images, and b.Go as the same with the host's Go
// toolchain (GOROOT) at /usr/local/go. work is a scratch directory.
func (e *Engine) EnsureBaseImages(ctx context.Context, b BaseImages, work string) error {
	needBase := !e.HasImage(ctx, b.Base)
	needGo := b.Go != "" && !e.HasImage(ctx, b.Go)
	if !needBase && !needGo {
		return nil
	}
	rootfs := filepath.Join(work, "rootfs")
	if out, err := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "bookworm", rootfs, DebianMirror).CombinedOutput(); err != nil {
		return fmt.Errorf("dockertest: debootstrap: %w\n%s", err, tail(out))
	}
	defer os.RemoveAll(rootfs)
	if err := slim(rootfs); err != nil {
		return err
	}
	changes := []string{"--change", "LABEL " + StandinLabel + "=debootstrap", "--change", `CMD ["bash"]`}
	if needBase {
		if err := e.importTar(ctx, b.Base, changes, "-C", rootfs, "."); err != nil {
			return err
		}
	}
	if needGo {
		goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("dockertest: go env GOROOT: %w", err)
		}
		dir := strings.TrimSpace(string(goroot))
		goChanges := append(changes,
			"--change", "ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"--change", "ENV GOTOOLCHAIN=local")
		// The host's GOROOT lands at /usr/local/go whatever its name.
		rename := fmt.Sprintf(`--transform=s,^%s\(/\|$\),usr/local/go\1,`, regexp.QuoteMeta(filepath.Base(dir)))
		if err := e.importTar(ctx, b.Go, goChanges, "-C", rootfs, ".", "-C", filepath.Dir(dir), rename, "--exclude=.git", filepath.Base(dir)); err != nil {
			return err
		}
	}
	return nil
}

// importTar streams "tar -c <tarArgs>" into "docker import - ref".
func (e *Engine) importTar(ctx context.Context, ref string, changes []string, tarArgs ...string) error {
	tarCmd := exec.CommandContext(ctx, "tar", append([]string{"-c", "--numeric-owner"}, tarArgs...)...)
	imp := exec.CommandContext(ctx, e.Docker, append(append([]string{"import"}, changes...), "-", ref)...)
	pipe, err := tarCmd.StdoutPipe()
	if err != nil {
		return err
	}
	imp.Stdin = pipe
	var tarErr strings.Builder
	tarCmd.Stderr = &tarErr
	if err := tarCmd.Start(); err != nil {
		return err
	}
	out, impErr := imp.CombinedOutput()
	if err := tarCmd.Wait(); err != nil {
		return fmt.Errorf("dockertest: tar for %s: %w: %s", ref, err, tarErr.String())
	}
	if impErr != nil {
		return fmt.Errorf("dockertest: docker import %s: %w: %s", ref, impErr, out)
	}
	return nil
}

// slimConfig is what Debian's official slim images add so that apt and dpkg
// keep images small; slim also drops what debootstrap leaves behind.
var slimConfig = map[string]string{
	"etc/dpkg/dpkg.cfg.d/docker-slim": "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n" +
		"path-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n",
	"etc/apt/apt.conf.d/docker-clean": `DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };` + "\n" +
		`APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };` + "\n" +
		`Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";` + "\n",
	"etc/apt/apt.conf.d/docker-no-languages": "Acquire::Languages \"none\";\n",
}

func slim(rootfs string) error {
	for _, glob := range []string{"var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*", "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*", "var/log/*.log"} {
		paths, _ := filepath.Glob(filepath.Join(rootfs, glob))
		for _, p := range paths {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	for path, text := range slimConfig {
		if err := os.WriteFile(filepath.Join(rootfs, path), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// tail keeps the last 4 KiB of a command's output for an error message.
func tail(out []byte) string {
	if len(out) > 4096 {
		return "…" + string(out[len(out)-4096:])
	}
	return string(out)
}
