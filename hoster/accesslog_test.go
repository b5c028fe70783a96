package main

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeAccessLogHidesSessionToken: "hoster serve --access-log" logs
// every request, but a client's TorPlus-Session token and its payment
// credential only as hashes or not at all. (tor runs with its network
// off: nothing here needs the Tor network.)
func TestServeAccessLogHidesSessionToken(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	torrc := filepath.Join(t.TempDir(), "torrc")
	writeFile(t, torrc, "DisableNetwork 1\n", 0o600)
	h := startHoster(t, "serve", "--root", siteDir, "--data-dir", dataDir, "--admin", "off", "--access-log", "--torrc", torrc)
	h.waitLine(&h.stdout, "onion address:", 60*time.Second)
	sock := filepath.Join(dataDir, "http.sock")
	waitForSocket(t, sock)

	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	credential := "Payment " + base64.RawURLEncoding.EncodeToString([]byte(`{"id":"secret-credential-0123456789"}`))
	status, _, _ := rawExchange(t, sock, testCircuit, "GET /about.html?probe=accesslog HTTP/1.1\r\nHost: x.onion\r\n"+
		"TorPlus-Session: "+token+"\r\nAuthorization: "+credential+"\r\nConnection: close\r\n\r\n")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	line := h.waitLine(&h.stderr, "probe=accesslog", 30*time.Second).text
	if !strings.Contains(line, "Torplus-Session") {
		t.Fatalf("the access log line does not show the (hashed) session header: %s", line)
	}
	h.stop()
	all := h.text(&h.stdout) + h.text(&h.stderr)
	for name, secret := range map[string]string{"session token": token, "payment credential": credential[8:]} {
		if strings.Contains(all, secret) || strings.Contains(all, secret[:20]) {
			t.Errorf("the %s appears in the hoster's output:\n%s", name, line)
		}
	}
}
