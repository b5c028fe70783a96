package proc

import (
	"os/exec"
	"testing"
	"time"
)

func TestStop(t *testing.T) {
	tests := []struct {
		name   string
		script string // a shell that ignores TERM must be killed
		killed bool
	}{
		{"exits on TERM", "exec sleep 30", false},
		{"ignores TERM", "trap '' TERM; while :; do sleep 0.1; done", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tt.script)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // let the shell set its trap
			Stop(500*time.Millisecond, cmd)
			if cmd.ProcessState == nil {
				t.Fatal("Stop returned before the process exited")
			}
			ws := cmd.ProcessState.String()
			if got := ws == "signal: killed"; got != tt.killed {
				t.Fatalf("process ended with %q, killed = %v, want %v", ws, got, tt.killed)
			}
		})
	}
}
