// Package dockertest runs the project's Docker artefacts (the Dockerfile,
// the compose files) for real in tests, on a machine that reaches no image
// registry: it starts Debian's dockerd when none runs, makes the base images
// the Dockerfiles name from a debootstrapped Debian (plus the host's Go
// toolchain for the build stage), and builds images from a context that
// carries a vendor tree, so no build step needs more than Debian's archive.
//
// Everything runs with host networking: containers reach the tests' private
// networks on 127.0.0.1, and no traffic goes to Docker's bridge addresses.
package dockertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrToolMissing is returned when a program the tests need is not installed.
var ErrToolMissing = errors.New("dockertest: missing tool: apt-get install docker.io docker-compose debootstrap")

// Engine is a reachable Docker engine and the clients that talk to it.
type Engine struct {
	// Docker and Compose are the docker CLI and Debian's docker-compose (v1).
	Docker, Compose string

	dockerd *exec.Cmd // the daemon this package started, if any
	logFile *os.File
}

// Start finds docker, docker-compose and debootstrap and makes sure a Docker
// engine answers, starting dockerd (as root, with no bridge and no iptables
// rules: tests use host networking) when none does. Its log goes to
// logDir/dockerd.log. Call Stop when done: it stops only a daemon Start
// started.
func Start(ctx context.Context, logDir string) (*Engine, error) {
	e := &Engine{}
	var missing []string
	for _, tool := range []struct {
		name string
		into *string
	}{{"docker", &e.Docker}, {"docker-compose", &e.Compose}, {"debootstrap", nil}} {
		path, err := exec.LookPath(tool.name)
		if err != nil {
			missing = append(missing, tool.name)
			continue
		}
		if tool.into != nil {
			*tool.into = path
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w (not found: %s)", ErrToolMissing, strings.Join(missing, ", "))
	}
	if e.ping(ctx) == nil {
		return e, nil
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		return nil, fmt.Errorf("%w (no Docker engine answers and dockerd is not installed)", ErrToolMissing)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("dockertest: no Docker engine answers, and starting dockerd needs root")
	}
	if e.logFile, err = os.Create(filepath.Join(logDir, "dockerd.log")); err != nil {
		return nil, err
	}
	e.dockerd = exec.Command(dockerd, "--bridge=none", "--iptables=false", "--ip6tables=false")
	e.dockerd.Stdout, e.dockerd.Stderr = e.logFile, e.logFile
	e.dockerd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.dockerd.Start(); err != nil {
		return nil, fmt.Errorf("dockertest: start dockerd: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err = e.ping(ctx); err == nil {
			return e, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			e.Stop()
			return nil, fmt.Errorf("dockertest: dockerd did not answer within 60 s (log: %s): %w", e.logFile.Name(), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Started reports whether Start started the daemon (rather than found one).
func (e *Engine) Started() bool { return e.dockerd != nil }

// Stop stops the dockerd that Start started, by its PID, and waits for it.
func (e *Engine) Stop() {
	if e.dockerd == nil {
		return
	}
	_ = e.dockerd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.dockerd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = e.dockerd.Process.Kill()
		<-done
	}
	e.dockerd = nil
	e.logFile.Close()
}

func (e *Engine) ping(ctx context.Context) error {
	_, err := e.Run(ctx, "version", "--format", "{{.Server.Version}}")
	return err
}

// Run runs the docker CLI and returns its standard output. The legacy
// builder is used for builds, as docker-compose v1 does.
func (e *Engine) Run(ctx context.Context, args ...string) (string, error) {
	return run(ctx, nil, e.Docker, args...)
}

// HasImage reports whether the engine holds an image tagged ref.
func (e *Engine) HasImage(ctx context.Context, ref string) bool {
	_, err := e.Run(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	return err == nil
}

// ImageSize returns the size in bytes of an image.
func (e *Engine) ImageSize(ctx context.Context, ref string) (int64, error) {
	out, err := e.Run(ctx, "image", "inspect", "--format", "{{.Size}}", ref)
	if err != nil {
		return 0, err
	}
	var n int64
	_, err = fmt.Sscan(out, &n)
	return n, err
}

// run runs a command with extra environment variables and returns its
// standard output; a failure carries its standard error.
func run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append(os.Environ(), "DOCKER_BUILDKIT=0"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}
