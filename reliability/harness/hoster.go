package harness

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hoster is a hoster process serving one Caddyfile, which a test may kill
// (SIGKILL, by PID) and start again on the same data as often as it likes.
type Hoster struct {
	// Addr is the site's listener, 127.0.0.1:port, which takes a PROXY
	// header first (see Site).
	Addr string
	// Admin is the admin API's address, 127.0.0.1:port.
	Admin string
	// Dir holds the Caddyfile, the log and Caddy's own state.
	Dir string
	// Log is the file the process's stdout and stderr are appended to.
	Log string

	t      testing.TB
	config string
	env    []string
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// NewHoster prepares a hoster for the Caddyfile that caddyfile(h) returns
// (it may use h.Addr, h.Admin and h.Dir), without starting it. The process
// is stopped when the test ends.
func NewHoster(t testing.TB, caddyfile func(h *Hoster) string) *Hoster {
	t.Helper()
	dir, err := os.MkdirTemp("", "tprel")
	if err != nil {
		t.Fatal(err)
	}
	h := &Hoster{t: t, Addr: FreeAddr(t), Admin: FreeAddr(t), Dir: dir, Log: filepath.Join(dir, "hoster.log")}
	h.config = filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(h.config, []byte(caddyfile(h)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env = append(os.Environ(), EnvRunHoster+"=1", "HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			t.Logf("hoster log (last lines):\n%s", h.Tail(40))
		} else {
			os.RemoveAll(dir)
		}
	})
	return h
}

// Start starts the process and waits (up to a minute) until it answers
// GET /ping through a PROXY header. It fails the test if the hoster exits
// or never answers.
func (h *Hoster) Start() {
	h.t.Helper()
	if err := h.TryStart(time.Minute); err != nil {
		h.t.Fatalf("hoster: %v\nlog:\n%s", err, h.Tail(40))
	}
}

// TryStart is Start returning the failure instead.
func (h *Hoster) TryStart(timeout time.Duration) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(h.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	h.cmd = exec.Command(exe, "run", "--config", h.config, "--adapter", "caddyfile")
	h.cmd.Env, h.cmd.Dir = h.env, h.Dir
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	h.starts++
	exited := make(chan struct{})
	h.exited = exited
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); logf.Close(); close(exited) }(h.cmd)
	c := NewClient(h.Addr, 1)
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		resp, err := c.Get(ctx, "/ping", nil)
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited at start (%v)", h.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.Kill()
			return fmt.Errorf("not answering /ping after %s", timeout)
		}
	}
}

// Running reports whether the process is running.
func (h *Hoster) Running() bool {
	if h.exited == nil {
		return false
	}
	select {
	case <-h.exited:
		return false
	default:
		return true
	}
}

// Exited is closed when the current process exits.
func (h *Hoster) Exited() <-chan struct{} { return h.exited }

// Starts counts the processes started.
func (h *Hoster) Starts() int { return h.starts }

// PID is the current process's id.
func (h *Hoster) PID() int { return h.cmd.Process.Pid }

// Kill sends SIGKILL (kill -9) to the process and waits for it to die.
func (h *Hoster) Kill() {
	if !h.Running() {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.exited
}

// Stop sends SIGTERM and waits for a graceful exit, killing after 20 s.
func (h *Hoster) Stop() {
	if !h.Running() {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(20 * time.Second):
		h.Kill()
	}
}

// Tail returns the log's last n lines.
func (h *Hoster) Tail(n int) string {
	f, err := os.Open(h.Log)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// LogContains reports whether the log has a line containing substr.
func (h *Hoster) LogContains(substr string) bool {
	b, err := os.ReadFile(h.Log)
	return err == nil && strings.Contains(string(b), substr)
}

// FreeAddr returns a free 127.0.0.1:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
