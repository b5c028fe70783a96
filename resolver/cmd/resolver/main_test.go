package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/torplus/torplus/internal/onion"
)

// TestMain lets the test binary stand in for the resolver binary: started
// with RESOLVER_TEST_MAIN=1 it runs main, so tests can check real process
// exit codes without building anything else.
func TestMain(m *testing.M) {
	if os.Getenv("RESOLVER_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command in-process with env as its environment.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

// runProcess runs the command as its own process and returns its exit code.
func runProcess(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RESOLVER_TEST_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// decode parses the one JSON object a --json run prints.
func decode(t *testing.T, r result) report {
	t.Helper()
	var rep report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one report: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value: %s", r.stdout)
	}
	return rep
}

// newID returns the id of a fresh onion key.
func newID(t *testing.T) onion.ID {
	t.Helper()
	k, err := onion.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// hosterDir makes a hoster data dir holding an onion key, as the hoster
// leaves it, and returns the dir and the key's id.
func hosterDir(t *testing.T) (string, onion.ID) {
	t.Helper()
	dir := t.TempDir()
	k, created, err := onion.LoadOrCreateKey(dir + "/onion")
	if err != nil || !created {
		t.Fatal(err)
	}
	return dir, k.ID()
}

// check runs a case in text and in JSON form and checks the exit code,
// the text on stdout or stderr, and the JSON report's result and match.
func check(t *testing.T, env map[string]string, args []string, code int, text string) report {
	t.Helper()
	r := runCLI(t, env, args...)
	if r.code != code || !strings.Contains(r.stdout+r.stderr, text) {
		t.Fatalf("%v: exit %d, want %d; want %q in output\nstdout: %s\nstderr: %s", args, r.code, code, text, r.stdout, r.stderr)
	}
	rj := runCLI(t, env, append(args, "--json")...)
	rep := decode(t, rj)
	if rj.code != code || rep.Exit != code {
		t.Fatalf("%v --json: exit %d / %d, want %d\n%s", args, rj.code, rep.Exit, code, rj.stdout)
	}
	if (code == 0) != (rep.Error == "") || (code == 0) != (rep.Result == "ok") {
		t.Fatalf("%v --json: result %q error %q for exit %d", args, rep.Result, rep.Error, code)
	}
	if args[0] == "verify" && rep.Match != nil && *rep.Match != (code == 0) {
		t.Fatalf("%v --json: match = %v for exit %d", args, *rep.Match, code)
	}
	return rep
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		text string
	}{
		{nil, 2, "usage: resolver"},
		{[]string{"help"}, 0, "exit codes:"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"verify", "-h"}, 0, "--data-dir"},
		{[]string{"lookup"}, 2, "want exactly one name"},
		{[]string{"verify", "example.com"}, 2, "give --onion"},
		{[]string{"verify", "example.com", "--onion", "x", "--data-dir", "/nonexistent"}, 2, "not both"},
		{[]string{"lookup", "video.torplus.eth"}, 2, "JSON-RPC"},
		{[]string{"lookup", "example.com", "--anchor", "not a DS"}, 2, "not a DS record"},
		{[]string{"publish", "dns", "example.com", "--onion", "x"}, 2, "--server"},
		{[]string{"publish", "ens", "example.com", "--onion", "x"}, 2, ".eth"},
		{[]string{"publish", "smoke"}, 2, "publish dns|ens"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.text) {
			t.Errorf("%v: exit %d, want %d; want %q in\n%s%s", tt.args, r.code, tt.code, tt.text, r.stdout, r.stderr)
		}
	}
}
