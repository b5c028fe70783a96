package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSecondHosterLeavesTheFirstAlone: a second hoster on a running
// hoster's data directory exits at once, naming the first one's PID, and
// the first still answers on its http.sock (before the lock, the second
// replaced the socket and the site was left with nothing listening).
func TestSecondHosterLeavesTheFirstAlone(t *testing.T) {
	dataDir, offline := shortDataDir(t), offlineTorrc(t)
	args := []string{"serve", "--root", siteDir, "--data-dir", dataDir, "--admin", "off", "--torrc", offline}
	first := startHoster(t, args...)
	sock := filepath.Join(dataDir, "http.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := waitServing(ctx, sock); err != nil {
		t.Fatalf("first hoster never served: %v\n%s", err, first.text(&first.stderr))
	}
	before, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}

	for _, second := range [][]string{args, {"serve", "--upstream", "http://127.0.0.1:1", "--data-dir", dataDir, "--admin", "off"}} {
		code, _, errOut := runHoster(t, nil, second...)
		want := "the data directory is in use by another hoster: " + dataDir + " is held by hoster pid " + strconv.Itoa(first.cmd.Process.Pid)
		if code != ExitFailed || !strings.Contains(errOut, want) {
			t.Fatalf("second hoster: exit %d, %q; want exit %d and %q", code, errOut, ExitFailed, want)
		}
	}
	after, err := os.Stat(sock)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("http.sock was replaced or removed: %v", err)
	}
	if err := checkServing(ctx, sock); err != nil {
		t.Fatalf("the first hoster no longer serves: %v", err)
	}
}

// waitServing waits (bounded by ctx) until the site answers on sock.
func waitServing(ctx context.Context, sock string) error {
	for {
		err := checkServing(ctx, sock)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
