package main

import (
	"net/http"
	"os"
	"testing"

	"github.com/torplus/torplus/caddy-module/identity"
)

// TestServeCircuitReuseAfterTorRestart: through "hoster serve"'s socket,
// with PROXY headers as tor sends them, circuit 5 spends its free round;
// then tor restarts (the onion app draws a new epoch for the socket, as
// onionservice.TestTorRestartStartsNewEpoch shows it does on every tor
// start) and the new tor's circuit 5 is a stranger: a whole free round of
// its own, none of the old circuit's state. Circuit 5 of the old epoch
// stays spent meanwhile, on the connection it is on.
func TestServeCircuitReuseAfterTorRestart(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "tp") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sock := runServeConfig(t, serveOptions{root: siteDir, dataDir: dataDir, admin: "off", meter: meterOptions{
		payTo: testDestination, price: "2", assetCode: "TPT", assetIssuer: testIssuer, freeRound: "2KB", round: "10MB",
	}})
	const circuit5 = "PROXY TCP6 fc00:dead:beef:4dad::0:5 ::1 5 80\r\n"
	const get = "GET /index.html HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n\r\n"
	remaining := func() (string, string) {
		t.Helper()
		status, hdr, _ := rawExchange(t, sock, circuit5, get)
		if status != http.StatusOK && status != http.StatusPaymentRequired {
			t.Fatalf("circuit 5: status %d", status)
		}
		if hdr.Get("Server") != "" { // the meter's own answers too (torplus_privacy is first)
			t.Fatalf("circuit 5: status %d with Server %q", status, hdr.Get("Server"))
		}
		return hdr.Get("TorPlus-Remaining"), hdr.Get("WWW-Authenticate") // the Payment challenge of the early notice or the 402
	}
	if left, _ := remaining(); left != "2000" {
		t.Fatalf("circuit 5's first request: TorPlus-Remaining %q, want the whole free round 2000", left)
	}
	for range 2 { // index.html is 1118 bytes: two requests spend the round
		remaining()
	}
	if left, ask := remaining(); left == "2000" || ask == "" {
		t.Fatalf("circuit 5 after its free round: TorPlus-Remaining %q, payment request %q; want it spent", left, ask)
	}

	identity.NewEpoch(sock) // what the onion app does when tor starts again

	left, ask := remaining()
	if left != "2000" || ask != "" {
		t.Fatalf("circuit 5 of the new tor: TorPlus-Remaining %q, payment request sent: %v; want a stranger's whole free round (2000) and no request", left, len(ask) > 0)
	}
}
