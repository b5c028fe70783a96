package onionservice

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/internal/onion"
)

// provision runs Provision on a with a fresh Caddy context and returns what
// it printed.
func provision(t *testing.T, a *App) (string, error) {
	t.Helper()
	var out bytes.Buffer
	old := Stdout
	Stdout = &out
	defer func() { Stdout = old }()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	err := a.Provision(ctx)
	return out.String(), err
}

func newID(t *testing.T) onion.ID {
	t.Helper()
	k, err := onion.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// TestOnionbalanceInstance: with a master address the hoster writes tor's
// ob_config, adds HiddenServiceOnionbalanceInstance (which the real tor
// accepts together with ob_config), and prints the master's records, not
// its own; without it, the ob_config of an earlier run is removed.
func TestOnionbalanceInstance(t *testing.T) {
	master := newID(t)
	for _, form := range []string{string(master), master.Hostname(), "http://" + master.Hostname() + "/"} {
		t.Run(form, func(t *testing.T) {
			dir := t.TempDir()
			a := &App{DataDir: dir, Domain: "example.com", OnionbalanceMaster: form}
			out, err := provision(t, a)
			if err != nil {
				t.Fatal(err)
			}
			if a.PublicID() != master || a.ID() == master {
				t.Fatalf("public id %s, own id %s; want public = master %s", a.PublicID(), a.ID(), master)
			}
			if !strings.Contains(out, "torplus="+string(master)) || !strings.Contains(out, master.ContentHashHex()) ||
				strings.Contains(out, string(a.ID())) {
				t.Fatalf("printed records are not the master's alone:\n%s", out)
			}
			cfg, err := os.ReadFile(filepath.Join(KeyDir(dir), ObConfigFile))
			if err != nil || string(cfg) != "MasterOnionAddress "+master.Hostname()+"\n" {
				t.Fatalf("ob_config = %q, %v", cfg, err)
			}
			text, err := a.torrcText()
			if err != nil || !strings.Contains(text, "\nHiddenServiceOnionbalanceInstance 1\n") {
				t.Fatalf("torrc lacks the instance line (%v):\n%s", err, text)
			}
			verifyTorrc(t, dir, text)
		})
	}
	t.Run("not an instance any more", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := provision(t, &App{DataDir: dir, OnionbalanceMaster: string(master)}); err != nil {
			t.Fatal(err)
		}
		a := &App{DataDir: dir}
		if _, err := provision(t, a); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(KeyDir(dir), ObConfigFile)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("ob_config still there: %v", err)
		}
		if text, _ := a.torrcText(); strings.Contains(text, "HiddenServiceOnionbalanceInstance") || a.PublicID() != a.ID() {
			t.Fatalf("still configured as an instance (public %s, own %s):\n%s", a.PublicID(), a.ID(), text)
		}
	})
}

func TestOnionbalanceMasterRejected(t *testing.T) {
	dir := t.TempDir()
	own, _, err := onion.LoadOrCreateKey(KeyDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for name, master := range map[string]string{
		"not base32":     "not-an-onion.onion",
		"bad checksum":   strings.Repeat("a", 56),
		"own address":    own.ID().Hostname(),
		"v2 length":      "expyuzz4wqqyqhjn.onion",
		"path appended":  "http://" + newID(t).Hostname() + "/x",
		"trailing words": string(newID(t)) + " extra",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := provision(t, &App{DataDir: dir, OnionbalanceMaster: master}); !errors.Is(err, ErrOnionbalanceMaster) {
				t.Fatalf("Provision(%q) = %v, want ErrOnionbalanceMaster", master, err)
			}
		})
	}
}

// verifyTorrc runs the real tor's --verify-config on text.
func verifyTorrc(t *testing.T, dir, text string) {
	t.Helper()
	tor, err := exec.LookPath("tor")
	if err != nil {
		t.Fatal("tor is needed for this test: apt-get install tor")
	}
	path := filepath.Join(dir, "torrc")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tor, "--verify-config", "-f", path, "--DataDirectory", filepath.Join(dir, "tor")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Configuration was valid") {
		t.Fatalf("tor --verify-config: %v\n%s", err, out)
	}
}

// FuzzParseMaster: any input either fails with ErrOnionbalanceMaster or
// gives a valid id that every accepted spelling of it parses back to.
func FuzzParseMaster(f *testing.F) {
	for _, s := range []string{"", "x.onion", strings.Repeat("a", 56), "http://" + strings.Repeat("a", 56) + ".onion/",
		"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseMaster(s)
		if err != nil {
			if !errors.Is(err, ErrOnionbalanceMaster) {
				t.Fatalf("ParseMaster(%q): %v is not ErrOnionbalanceMaster", s, err)
			}
			return
		}
		for _, form := range []string{string(id), id.Hostname(), "http://" + id.Hostname() + "/"} {
			if again, err := ParseMaster(form); err != nil || again != id {
				t.Fatalf("ParseMaster(%q) = %s, %v; want %s", form, again, err, id)
			}
		}
	})
}
