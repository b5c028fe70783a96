package main

import (
	"os"
	"path/filepath"
	"testing"
)

// shortDataDir is a fresh data directory with a short path (a unix
// socket's path is limited to about 100 bytes), removed when the test ends.
func shortDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "torplus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// offlineTorrc is a --torrc that keeps the hoster's tor off the network:
// the hoster runs and serves its socket, and tor never bootstraps.
func offlineTorrc(t *testing.T) string {
	t.Helper()
	torrc := filepath.Join(t.TempDir(), "offline.torrc")
	if err := os.WriteFile(torrc, []byte("DisableNetwork 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return torrc
}
