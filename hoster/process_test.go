package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hosterProcess is a running hoster (this test binary re-executed as the
// hoster) whose stdout and stderr lines are collected for the test to read.
type hosterProcess struct {
	t     *testing.T
	cmd   *exec.Cmd
	start time.Time

	mu     sync.Mutex
	stdout []timedLine
	stderr []timedLine
	exited chan struct{}
}

type timedLine struct {
	at   time.Duration // since start
	text string
}

// startHoster runs "hoster <args>" and stops it (by its PID) when the test ends.
func startHoster(t *testing.T, args ...string) *hosterProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &hosterProcess{t: t, cmd: exec.Command(exe, args...), exited: make(chan struct{})}
	h.cmd.Env = append(os.Environ(), runAsHoster+"=1")
	stdout, _ := h.cmd.StdoutPipe()
	stderr, _ := h.cmd.StderrPipe()
	h.start = time.Now()
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go h.collect(stdout, &h.stdout, &wg)
	go h.collect(stderr, &h.stderr, &wg)
	go func() { wg.Wait(); _ = h.cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("hoster %v stderr:\n%s", args, h.text(&h.stderr))
		}
	})
	return h
}

func (h *hosterProcess) collect(r io.Reader, into *[]timedLine, wg *sync.WaitGroup) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		h.mu.Lock()
		*into = append(*into, timedLine{time.Since(h.start), sc.Text()})
		h.mu.Unlock()
	}
}

// since is the time since the hoster started, on the clock of its lines.
func (h *hosterProcess) since() time.Duration { return time.Since(h.start) }

// waitLine waits for a line of stdout (or stderr) containing substr.
func (h *hosterProcess) waitLine(stream *[]timedLine, substr string, timeout time.Duration) timedLine {
	h.t.Helper()
	return h.waitLineAfter(stream, substr, -1, timeout)
}

// waitLineAfter waits for a line containing substr written after since.
func (h *hosterProcess) waitLineAfter(stream *[]timedLine, substr string, since, timeout time.Duration) timedLine {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		for _, l := range *stream {
			if l.at > since && strings.Contains(l.text, substr) {
				h.mu.Unlock()
				return l
			}
		}
		h.mu.Unlock()
		select {
		case <-deadline:
			h.t.Fatalf("no line with %q within %s; stdout:\n%s\nstderr:\n%s", substr, timeout, h.text(&h.stdout), h.text(&h.stderr))
		case <-h.exited:
			h.t.Fatalf("hoster exited (%v) before printing %q; stdout:\n%s\nstderr:\n%s", h.cmd.ProcessState, substr, h.text(&h.stdout), h.text(&h.stderr))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (h *hosterProcess) text(stream *[]timedLine) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, l := range *stream {
		fmt.Fprintf(&b, "%6.2fs %s\n", l.at.Seconds(), l.text)
	}
	return b.String()
}

// stop sends SIGTERM and waits for the exit, killing after 15 s.
func (h *hosterProcess) stop() {
	select {
	case <-h.exited:
		return
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.exited
	}
}

// processAlive reports whether pid still runs (and is not a zombie).
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat))
	return len(fields) > 2 && fields[2] != "Z"
}

// waitGone waits (bounded) until pid has exited.
func waitGone(ctx context.Context, pid int) bool {
	for processAlive(pid) {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}
