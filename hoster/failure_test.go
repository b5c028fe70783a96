package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeFailsClearlyWithoutTor: a missing or failing tor is an error
// message and a non-zero exit, never a hang.
func TestServeFailsClearly(t *testing.T) {
	badTorrc := filepath.Join(t.TempDir(), "bad.torrc")
	if err := os.WriteFile(badTorrc, []byte("NoSuchTorOption 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tor missing", []string{"--tor", "/nonexistent/tor"}, "tor not found: install it"},
		{"tor refuses its config", []string{"--torrc", badTorrc}, "NoSuchTorOption"},
		{"torrc missing", []string{"--torrc", "/nonexistent/torrc"}, "torrc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--root", siteDir, "--data-dir", t.TempDir(), "--admin", "off"}, tt.args...)
			h := startHoster(t, args...)
			select {
			case <-h.exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("hoster still runs 30 s after a fatal error; stderr:\n%s", h.text(&h.stderr))
			}
			if h.cmd.ProcessState.Success() {
				t.Fatal("hoster exited 0")
			}
			h.waitLine(&h.stderr, tt.want, time.Second)
		})
	}
}
