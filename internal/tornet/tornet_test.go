package tornet

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPreparedTorrcsAreValid checks every generated torrc with tor itself
// (the full network runs in the hoster's end-to-end test).
func TestPreparedTorrcsAreValid(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := Prepare(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	paths := n.TorrcPaths()
	if len(paths) != 7 {
		t.Fatalf("%d torrcs, want 7 (3 authorities, 3 relays, a client)", len(paths))
	}
	for _, p := range paths {
		out, err := exec.CommandContext(ctx, n.torPath, "--verify-config", "-f", p, "--defaults-torrc", "/dev/null").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Configuration was valid") {
			t.Fatalf("%s: %v\n%s", p, err, out)
		}
	}
	join := n.JoinTorrc()
	if got := strings.Count(join, "DirAuthority "); got != 3 {
		t.Fatalf("JoinTorrc has %d DirAuthority lines, want 3:\n%s", got, join)
	}
	if !strings.Contains(join, "TestingTorNetwork 1") {
		t.Fatalf("JoinTorrc lacks TestingTorNetwork:\n%s", join)
	}
}
