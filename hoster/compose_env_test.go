package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/pflag"
)

// TestComposeEnvIsServeFlags: every TORPLUS_* variable the compose file
// passes to the hoster is the variable of a serve flag (a misspelt one
// would be ignored silently), and .env.example's values, set in the
// environment, make a serve config the hoster accepts.
func TestComposeEnvIsServeFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	addServeFlags(fs)
	known := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = true })
	compose, err := os.ReadFile("../compose/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	passed := regexp.MustCompile(`(?m)^\s+(TORPLUS_[A-Z_]+):`).FindAllStringSubmatch(string(compose), -1)
	if len(passed) < 15 {
		t.Fatalf("the compose file passes only %d TORPLUS_* variables", len(passed))
	}
	for _, m := range passed {
		if !known[m[1]] {
			t.Errorf("the compose file passes %s, which no serve flag reads", m[1])
		}
	}

	f, err := os.Open("../compose/.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(name, EnvPrefix) {
			t.Setenv(name, value)
		}
	}
	t.Setenv("TORPLUS_DATA_DIR", t.TempDir())
	t.Setenv("TORPLUS_ROOT", siteDir)
	clear(fromEnv)
	if err := applyEnv(fs); err != nil {
		t.Fatalf(".env.example: %v", err)
	}
	if _, err := serveConfig(readServeFlags(caddycmd.Flags{FlagSet: fs})); err != nil {
		t.Fatalf(".env.example: %v", err)
	}
}
