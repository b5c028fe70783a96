package onionservice

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTorrcText(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.torrc")
	if err := os.WriteFile(extra, []byte("NumEntryGuards 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &App{DataDir: dir, VirtualPort: 80, Torrc: extra}
	text, err := a.torrcText()
	if err != nil {
		t.Fatal(err)
	}
	wantInOrder := []string{
		"SocksPort 0\n",
		`HiddenServiceDir "` + filepath.Join(dir, "onion") + `"`,
		`HiddenServicePort 80 unix:"` + filepath.Join(dir, "http.sock") + `"`,
		"HiddenServiceExportCircuitID haproxy\n",
		"NumEntryGuards 2\n",
	}
	at := 0
	for _, w := range wantInOrder {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("torrc lacks %q after offset %d:\n%s", w, at, text)
		}
		at += i + len(w)
	}

	verifyTorrc(t, dir, text) // the real tor must accept it
}

func TestTorrcMissingExtraFile(t *testing.T) {
	a := &App{DataDir: t.TempDir(), VirtualPort: 80, Torrc: "/nonexistent/extra.torrc"}
	if _, err := a.torrcText(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestCheckTorrcPath(t *testing.T) {
	for path, ok := range map[string]bool{
		"/var/lib/torplus":  true,
		"/srv/my site/data": true,
		`/srv/"quoted"`:     false,
		"/srv/line\nbreak":  false,
		`C:\windows\style`:  false,
	} {
		if err := checkTorrcPath(path); (err == nil) != ok {
			t.Errorf("checkTorrcPath(%q) = %v", path, err)
		}
	}
}
