package npmtest

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// Serve starts an ES module script with node in dir (from Install) as a
// server for the rest of the test. The script must listen on 127.0.0.1
// and print its base URL as its first line of output; Serve returns that
// URL. The process is killed by its PID when the test ends.
func Serve(t testing.TB, dir, script string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("npmtest: node not found; install it with: apt-get install nodejs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout*5)
	cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", script)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("npmtest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("npmtest: start node: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		cancel()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://127.0.0.1:") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("npmtest: node server did not print its URL (%q, %v):\n%s", line, err, stderr.String())
	}
	return strings.TrimSpace(line)
}
