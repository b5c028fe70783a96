package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
)

// TestDoctorSaysWhatIsWrong runs "hoster doctor" against a real running
// "hoster serve --demo" whose tor is kept offline: it finds the hoster,
// the site serving, the demo's Stellar RPC and payee ready and the clock
// right, reports that tor has not bootstrapped, then a data directory
// others can read, and, once the hoster is stopped, that none runs.
func TestDoctorSaysWhatIsWrong(t *testing.T) {
	dataDir, offline := shortDataDir(t), offlineTorrc(t)
	admin := fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t))
	h := startHoster(t, "serve", "--demo", "--root", siteDir, "--data-dir", dataDir, "--torrc", offline,
		"--admin", admin, "--dashboard", fmt.Sprintf("127.0.0.1:%d", attentiontest.FreePort(t)))
	h.waitLine(&h.stdout, "demo: payments go to", time.Minute)
	// The start-up lines say what the hoster does with visitors.
	h.waitLine(&h.stdout, "metering: on, a free round of 5.0 MB per visitor, then 1 TPT per 50 MB round, paid to G", time.Second)
	h.waitLine(&h.stdout, "free bytes bounded to 300 MB/minute for all visitors together", time.Second)
	h.waitLine(&h.stdout, "dashboard: http://127.0.0.1:", time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := waitServing(ctx, filepath.Join(dataDir, "http.sock")); err != nil {
		t.Fatal(err)
	}
	doctor := func(want ...string) {
		t.Helper()
		code, out, errOut := runHoster(t, nil, "doctor", "--data-dir", dataDir, "--admin", admin)
		for _, w := range want {
			if !strings.Contains(out+errOut, w) {
				t.Fatalf("doctor's output lacks %q (exit %d):\n%s%s", w, code, out, errOut)
			}
		}
		if code != ExitFailed {
			t.Fatalf("doctor exit %d, want %d:\n%s%s", code, ExitFailed, out, errOut)
		}
	}
	doctor("ok: data directory "+dataDir+" is private (mode 0700)", "ok: onion key", "ok: hoster pid "+strconv.Itoa(h.cmd.Process.Pid)+" runs",
		"ok: the site answers on its socket", "problem: tor has not bootstrapped", "ok: Stellar RPC http://127.0.0.1:",
		"ok: payee account trusts TPT", "ok: this machine's clock agrees", "1 problem(s) found")

	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	doctor("problem: data directory "+dataDir+" has mode 0755: others can read it\n  fix: chmod 700 "+dataDir, "2 problem(s) found")
	if err := os.Chmod(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	h.stop()
	doctor("problem: no hoster runs on " + dataDir)
}
