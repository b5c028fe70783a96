package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/internal/tornet"
)

// Stellar accounts named in the metering test's payment requests (the test
// pays nothing; it checks what a non-paying client is asked for).
const (
	testDestination = "GD6I2TMALZ7TQB2HXGGGB5D5VJIHRJUTRIVN3LOJ4AJMSMC5VAKNEXG5"
	testIssuer      = "GATPF4BN2UAAE2LE6HXEURPW3PWDLLQCNNF5BDI3ZWWBMNDTPMILK2OC"
)

// Metering settings of the test: a 200 kB free round, asked to pay at 80 %,
// then 4 s of grace at 100 kB/s.
const (
	freeRound    = 200_000
	throttleRate = 100_000
	fileSize     = 170_000 // 85 % of the free round: the second fetch crosses it
)

// TestMeteringThroughTor: a client that does not pay, reaching the site by
// its onion address, is served its free round (and told before it runs out),
// then slowed, then refused with a 402 whose JSON body, WWW-Authenticate
// challenge and SEP-7 URI name the configured asset, amount and destination.
func TestMeteringThroughTor(t *testing.T) {
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	id, _ := startMeteredHoster(ctx, t, tn, fileSize, func(dataDir string) string {
		return `torplus {
			price 2.5
			destination ` + testDestination + `
			asset TPT ` + testIssuer + `
			free_round ` + strconv.Itoa(freeRound) + `B
			round 1MB
			ask_at 0.8
			grace 4s
			throttle ` + strconv.Itoa(throttleRate) + `B
			store sqlite ` + filepath.Join(dataDir, "store.db") + `
		}`
	})
	url := "http://" + id + ".onion/file.bin"
	client, err := tn.HTTPClient("miser") // one circuit: one client to the meter
	if err != nil {
		t.Fatal(err)
	}

	// 1. Within the free round. Headers tell what was left before this response.
	resp, body := fetch(ctx, t, client, url)
	if resp.StatusCode != http.StatusOK || len(body) != fileSize {
		t.Fatalf("first fetch: %s, %d bytes", resp.Status, len(body))
	}
	if got := resp.Header.Get("TorPlus-Remaining"); got != strconv.Itoa(freeRound) {
		t.Fatalf("first fetch: TorPlus-Remaining = %q, want %d", got, freeRound)
	}
	if pr := resp.Header.Get("WWW-Authenticate"); pr != "" {
		t.Fatalf("payment asked for before 80%% of the free round was used: %s", pr)
	}

	// 2. 85 % used: the next payment request is announced before the client
	// runs dry. This fetch crosses the allowance, and the 140 kB past it come
	// at the throttled pace.
	start := time.Now()
	resp, body = fetch(ctx, t, client, url)
	slow := time.Since(start)
	if resp.StatusCode != http.StatusOK || len(body) != fileSize {
		t.Fatalf("second fetch: %s, %d bytes", resp.Status, len(body))
	}
	if got := resp.Header.Get("TorPlus-Remaining"); got != strconv.Itoa(freeRound-fileSize) {
		t.Fatalf("second fetch: TorPlus-Remaining = %q, want %d", got, freeRound-fileSize)
	}
	early, err := requestID(resp.Header)
	if err != nil {
		t.Fatalf("no early payment request at 85%% of the free round: %v", err)
	}
	// The pacer sends 10 kB chunks (a tenth of the rate) at the start of
	// their slots: 140 kB past the allowance cannot end before 1.3 s.
	if min := time.Duration(2*fileSize-freeRound-throttleRate/10) * time.Second / throttleRate; slow < min {
		t.Fatalf("second fetch took %s; throttled to %d B/s it cannot take less than %s", slow, throttleRate, min)
	}

	// 3. After the grace period: 402 with the request in three forms.
	time.Sleep(5 * time.Second)
	resp, body = fetch(ctx, t, client, url)
	if resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("after grace: %s, want 402", resp.Status)
	}
	var fromBody payreq.Request
	if err := json.Unmarshal(body, &fromBody); err != nil {
		t.Fatalf("402 body is not a payment request: %v\n%s", err, body)
	}
	fromHeader, err := requestID(resp.Header)
	if err != nil {
		t.Fatalf("WWW-Authenticate: %v", err)
	}
	if fromHeader != fromBody.ID || fromHeader != early {
		t.Fatalf("request ids differ: header %s, body %s, early %s", fromHeader, fromBody.ID, early)
	}
	sep7, err := payreq.ParseSEP7(fromBody.URI)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"destination": testDestination, "asset_code": "TPT", "asset_issuer": testIssuer, "amount": "2.5", "memo_type": "MEMO_HASH"} {
		if got := sep7.Get(k); got != want {
			t.Errorf("SEP-7 %s = %q, want %q", k, got, want)
		}
	}
	if fromBody.Amount != 25_000_000 || fromBody.Destination != testDestination || fromBody.Bytes != 1_000_000 {
		t.Errorf("402 asks for %s to %s for %d bytes", fromBody.Amount, fromBody.Destination, fromBody.Bytes)
	}
}

func fetch(ctx context.Context, t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// startMeteredHoster publishes a site holding one random file of size
// bytes (/file.bin) through the private network, with the torplus block
// that block(dataDir) returns in front of it, and waits until the site is
// reachable. It returns the onion id and the file's content.
func startMeteredHoster(ctx context.Context, t *testing.T, tn *tornet.Network, size int, block func(dataDir string) string) (string, []byte) {
	t.Helper()
	dataDir, site := t.TempDir(), t.TempDir()
	blob := make([]byte, size)
	rand.Read(blob)
	if err := os.WriteFile(filepath.Join(site, "file.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "index.html"), []byte(testPage), 0o644); err != nil {
		t.Fatal(err)
	}
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	writeCaddyfileWith(t, caddyfile, dataDir, privnetTorrc(t, tn), site, block(dataDir))
	h := startHoster(t, "run", "--config", caddyfile, "--adapter", "caddyfile")
	id := addressLine.FindStringSubmatch(h.waitLine(&h.stdout, "onion address:", 20*time.Second).text)[1]
	h.waitLine(&h.stderr, "onion service published", 3*time.Minute)
	// Reachability first, on a circuit of its own (/ping is not metered).
	if _, err := tn.GetEventually(ctx, "warmup", "http://"+id+".onion/ping", 12); err != nil {
		t.Fatal(err)
	}
	return id, blob
}

// testPage is the site's index.html (1000 bytes): what a browser reads.
var testPage = func() string {
	const head = "<!DOCTYPE html><title>site</title><p id=content>the page</p><!--"
	return head + strings.Repeat("x", 1000-len(head)-3) + "-->"
}()

// privnetTorrc writes the torrc lines that join the private network to a file.
func privnetTorrc(t *testing.T, tn *tornet.Network) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "privnet.torrc")
	if err := os.WriteFile(path, []byte(tn.JoinTorrc()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeCaddyfileWith writes a Caddyfile that publishes site through the
// onion app in dataDir, with torplus (a torplus directive block) in front of
// the files and an unmetered /ping.
func writeCaddyfileWith(t *testing.T, path, dataDir, torrc, site, torplus string) {
	t.Helper()
	text := `{
	admin off
	onion ` + dataDir + ` {
		torrc ` + torrc + `
	}
	servers {
		listener_wrappers {
			proxy_protocol
		}
	}
}

http:// {
	bind unix/` + filepath.Join(dataDir, "http.sock") + `
	handle /ping {
		respond "pong"
	}
	handle {
		` + torplus + `
		root * ` + site + `
		file_server
	}
}
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// requestID is the payment request a response's first Payment challenge
// names (its charge request's externalId).
func requestID(h http.Header) (payreq.ID, error) {
	cs, err := client.Challenges(h)
	if err != nil {
		return payreq.ID{}, err
	}
	cr, err := cs[0].ChargeRequest()
	if err != nil {
		return payreq.ID{}, err
	}
	return payreq.ParseID(cr.ExternalID)
}
