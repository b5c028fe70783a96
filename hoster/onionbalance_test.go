package main

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/internal/onion"
)

// TestOnionbalanceMasterFlags: --onionbalance-master reaches the onion app
// of "hoster serve", and "hoster address" prints the master's id and
// records with it, the instance's own id without it.
func TestOnionbalanceMasterFlags(t *testing.T) {
	k, err := onion.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	master := k.ID()

	cfg, err := serveConfig(serveOptions{root: siteDir, dataDir: t.TempDir(), admin: "off", onionbalanceMaster: master.Hostname()})
	if err != nil {
		t.Fatal(err)
	}
	var app onionservice.App
	if err := json.Unmarshal(cfg.AppsRaw["onion"], &app); err != nil || app.OnionbalanceMaster != master.Hostname() {
		t.Fatalf("onion app %+v (%v), want onionbalance_master %s", app, err, master.Hostname())
	}

	dir := t.TempDir()
	code, own, errOut := runHoster(t, nil, "address", "--data-dir", dir, "--create")
	if code != 0 || len(strings.TrimSpace(own)) != onion.IDLen {
		t.Fatalf("hoster address: exit %d, %q %s", code, own, errOut)
	}
	code, out, errOut := runHoster(t, nil, "address", "--data-dir", dir, "--onionbalance-master", master.Hostname())
	if code != 0 || strings.TrimSpace(out) != string(master) {
		t.Fatalf("hoster address --onionbalance-master: exit %d, %q %s; want %s", code, out, errOut, master)
	}
	code, out, errOut = runHoster(t, nil, "address", "--data-dir", dir, "--records", "--domain", "example.com", "--onionbalance-master", string(master))
	if code != 0 || !strings.Contains(out, `"torplus=`+string(master)+`"`) || !strings.Contains(out, master.ContentHashHex()) ||
		strings.Contains(out, strings.TrimSpace(own)) {
		t.Fatalf("records: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = runHoster(t, nil, "address", "--data-dir", dir, "--onionbalance-master", "nope.onion"); code == 0 ||
		!strings.Contains(errOut, "onionbalance_master") {
		t.Fatalf("a bad master address: exit %d, %s", code, errOut)
	}
	if code, _, errOut = runHoster(t, nil, "address", "--data-dir", dir, "--onionbalance-master", strings.TrimSpace(own)); code == 0 ||
		!strings.Contains(errOut, "own address") {
		t.Fatalf("the instance's own address as master: exit %d, %s", code, errOut)
	}
}
