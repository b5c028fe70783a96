package onionservice

import (
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
)

// TestTorRestartStartsNewEpoch: each start of the real tor, the first and
// the one after tor was killed, draws a new epoch for the app's socket, so
// the restarted tor's circuit ids (from 1 again) name new clients.
func TestTorRestartStartsNewEpoch(t *testing.T) {
	dir, err := os.MkdirTemp("", "tpep") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &App{DataDir: dir}
	if _, err := provision(t, a); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	sock := SocketPath(a.DataDir)
	before := identity.EpochOf(sock)
	conf, err := a.torConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := startSupervisor(conf, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Destruct() })
	first, pid := identity.EpochOf(sock), s.pid()
	if first == before || pid == 0 {
		t.Fatalf("tor started (pid %d) and the socket's epoch stayed %x", pid, first)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for s.pid() == 0 || s.pid() == pid {
		if time.Now().After(deadline) {
			t.Fatalf("tor (pid %d) killed and not restarted within a minute", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if again := identity.EpochOf(sock); again == first {
		t.Fatalf("tor restarted (pid %d → %d) and the epoch stayed %x", pid, s.pid(), again)
	}
}
