// Package proc stops the processes a test or a bench started, by their own
// PID: SIGTERM to each, then SIGKILL to any still running after a grace
// period, and a wait for every one of them.
package proc

import (
	"os/exec"
	"syscall"
	"time"
)

// Stop sends SIGTERM to every started command, waits up to grace for each
// to exit, kills those that do not, and returns once all have exited.
func Stop(grace time.Duration, cmds ...*exec.Cmd) {
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(grace):
			_ = c.Process.Kill()
			<-done
		}
	}
}
