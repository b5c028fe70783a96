package stellarpay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSeed(t *testing.T) {
	dir := t.TempDir()
	seed := payer.Seed()
	write := func(name string, mode os.FileMode, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	if kp, err := LoadSeed(write("ok", 0o600, seed+"\n"), ""); err != nil || kp.Address() != payer.Address() {
		t.Fatalf("0600 file: %v", err)
	}
	if _, err := LoadSeed(write("open", 0o644, seed), ""); !errors.Is(err, ErrSeed) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 file: %v", err)
	}
	bad := "SNOTASEED" + seed[9:]
	if _, err := LoadSeed(write("bad", 0o600, bad), ""); !errors.Is(err, ErrSeed) || strings.Contains(err.Error(), bad) {
		t.Fatalf("bad seed: %v", err)
	}
	t.Setenv("TEST_TORPLUS_SEED", seed)
	if kp, err := LoadSeed("", "TEST_TORPLUS_SEED"); err != nil || kp.Address() != payer.Address() {
		t.Fatalf("env: %v", err)
	}
	t.Setenv("TEST_TORPLUS_SEED", "")
	if _, err := LoadSeed("", "TEST_TORPLUS_SEED"); !errors.Is(err, ErrSeed) {
		t.Fatalf("empty env: %v", err)
	}
	if _, err := LoadSeed(filepath.Join(dir, "missing"), ""); !errors.Is(err, ErrSeed) {
		t.Fatalf("missing file: %v", err)
	}
}
