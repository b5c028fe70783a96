package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/onionservice"
	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/onion"
)

// TestHosterLeaksNothing runs the hoster with an operator seed and an onion
// key, in a network namespace with loopback only, and exercises it: pages,
// a real payment settled on the (simulated) Horizon, forged payments,
// attention reports, every admin API and dashboard page, admin paths asked
// through the onion socket, and start-ups with bad seed files. Then:
//   - no form of the seed or the onion key, nor the paying visitor's
//     session token (raw, hex, base64, strkey, or any
//     20-character piece of one) is in anything the hoster wrote: stdout,
//     stderr, its log and access log files, its data and config dirs (but
//     the key file itself), HTTP answers and errors, admin API output and
//     the dashboard;
//   - admin and dashboard paths asked through the onion socket are 404;
//   - while it ran, the hoster held no socket but loopback listeners and
//     connections to its tor and the configured Horizon.
//
// adminProbeCircuit asks for the admin paths through the onion socket on
// a circuit of its own, whose free round the forged requests did not spend.
const adminProbeCircuit = "PROXY TCP6 fc00:dead:beef:4dad::0:2b ::1 43 80\r\n"

func TestHosterLeaksNothing(t *testing.T) {
	if !runInLoopbackNetns(t) {
		return
	}
	hz := clienttest.StartHorizon(t)
	hzAddr := netip.MustParseAddrPort(strings.Trim(strings.TrimPrefix(hz.URL, "http://"), "/"))
	work, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	dataDir, logDir, home := filepath.Join(work, "d"), filepath.Join(work, "log"), filepath.Join(work, "home")
	for _, d := range []string{dataDir, logDir, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Caddy's own state (autosave, certificates …) goes under home.
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	seedFile := filepath.Join(work, "operator.seed")
	writeFile(t, seedFile, clienttest.Operator.Seed()+"\n", 0o600)
	torrc := filepath.Join(work, "torrc")
	writeFile(t, torrc, "DisableNetwork 1\n", 0o600) // tor idles: nothing here to reach
	admin, dash := freeLoopbackPort(t), freeLoopbackPort(t)
	caddyfile := filepath.Join(work, "Caddyfile")
	writeFile(t, caddyfile, leakCaddyfile(dataDir, logDir, torrc, admin, dash, hz.URL, seedFile), 0o600)

	h := startHoster(t, "run", "--config", caddyfile, "--adapter", "caddyfile")
	h.waitLine(&h.stdout, "onion address:", 60*time.Second)
	sock := filepath.Join(dataDir, "http.sock")
	waitForSocket(t, sock)
	watch := watchSockets(h.cmd.Process.Pid, hzAddr)
	var answers bytes.Buffer // every HTTP answer the hoster gave

	// Visitors: pages, then a payer that pays through the real flow.
	payer := socketClient(t, sock, hz.URL, &answers)
	for i := 0; i < 6; i++ {
		resp, err := payer.Get(context.Background(), "http://x.onion/index.html")
		if err != nil {
			t.Fatalf("paying visitor, fetch %d: %v", i, err)
		}
		recordAnswer(&answers, resp)
	}
	if n, _ := payer.Paid(); n == 0 {
		t.Fatal("the paying visitor never paid: the Horizon path was not exercised")
	}
	// Forged payments and reports, and admin paths through the onion.
	forged := []string{
		"POST /.well-known/torplus/pay HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nxdr=AAAAA",
		"POST /.well-known/torplus/pay HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n",
		"GET /index.html HTTP/1.1\r\nHost: x.onion\r\nAuthorization: Payment e30\r\n\r\n",
		"GET /index.html HTTP/1.1\r\nHost: x.onion\r\nTorPlus-Session: not-a-token\r\n\r\n",
		"POST /.well-known/torplus/attention HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\":",
		"POST /load HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	}
	for _, req := range forged {
		status, hdr, body := rawExchange(t, sock, testCircuit, req)
		answers.WriteString(strconv.Itoa(status) + " " + headerText(hdr) + body)
		// A forged Payment credential buys nothing: no receipt (the meter
		// serves the request from what the session has left, as the draft
		// lets a server ignore a credential it refuses). Anything else
		// forged must not succeed.
		credential := strings.Contains(req, "Authorization: Payment")
		if status >= 200 && status < 300 && (!credential || hdr.Get("Payment-Receipt") != "") {
			t.Errorf("forged request answered %d (receipt %q): %q", status, hdr.Get("Payment-Receipt"), req)
		}
	}
	for _, path := range []string{"/config/", "/torplus/sessions", "/torplus/payment-requests", "/torplus/attention",
		"/torplus/revenue", "/torplus/dashboard", "/torplus/dashboard?format=json", "/reverse_proxy/upstreams", "/metrics", "/debug/pprof/", "/id/x"} {
		status, _ := rawRequest(t, sock, adminProbeCircuit, path) // a circuit with its free round left: 404, not 402
		if status != http.StatusNotFound {
			t.Errorf("admin path %s through the onion socket: %d, want 404", path, status)
		}
	}
	// The operator's views, on loopback, and a bad config pushed to the admin API.
	for _, u := range []string{"/config/", "/torplus/sessions", "/torplus/payment-requests", "/torplus/attention",
		"/torplus/revenue", "/torplus/dashboard", "/torplus/dashboard?format=json", "/reverse_proxy/upstreams"} {
		answers.WriteString(httpGet(t, "http://"+admin+u))
	}
	for _, u := range []string{"/", "/?format=json"} {
		answers.WriteString(httpGet(t, "http://"+dash+u))
	}
	badLoad, _ := http.Post("http://"+admin+"/load", "text/caddyfile", strings.NewReader(
		"{\n admin "+admin+"\n}\nhttp:// {\n torplus {\n destination "+clienttest.Payer.Address()+"\n price 1\n asset TPT "+clienttest.Issuer.Address()+"\n seed_file "+seedFile+"\n }\n}\n"))
	if badLoad == nil || badLoad.StatusCode < 400 {
		t.Fatalf("a config whose seed is not the destination's was loaded: %v", badLoad)
	}
	recordAnswer(&answers, badLoad)

	watch.WaitPolls(50, 30*time.Second) // a few more looks at the idle connections
	bad, sawTor, sawHorizon, polls := watch.Stop()
	h.stop()
	for _, b := range bad {
		t.Errorf("hoster socket: %s", b)
	}
	if !sawTor || !sawHorizon {
		t.Errorf("the socket watch (%d polls) saw tor: %v, the Horizon: %v — it is blind", polls, sawTor, sawHorizon)
	}

	// Start-ups that fail on the seed: the errors must not show it.
	loose := filepath.Join(work, "loose.seed")
	writeFile(t, loose, clienttest.Operator.Seed(), 0o644)
	garbled := filepath.Join(work, "garbled.seed")
	writeFile(t, garbled, clienttest.Operator.Seed()[:40]+"!!", 0o600)
	var outputs []string
	for name, seed := range map[string]string{"loose": loose, "garbled": garbled, "other": seedFile} {
		dest := clienttest.Operator.Address()
		if name == "other" {
			dest = clienttest.Payer.Address()
		}
		cf := filepath.Join(work, name+".Caddyfile")
		writeFile(t, cf, "{\n admin off\n}\nhttp://127.0.0.1:"+strconv.Itoa(attentiontest.FreePort(t))+" {\n bind 127.0.0.1\n torplus {\n destination "+dest+"\n price 1\n asset TPT "+clienttest.Issuer.Address()+
			"\n seed_file "+seed+"\n store sqlite "+filepath.Join(work, name+".db")+"\n }\n}\n", 0o600)
		bad := startHoster(t, "run", "--config", cf, "--adapter", "caddyfile")
		select {
		case <-bad.exited:
		case <-time.After(60 * time.Second):
			t.Fatalf("hoster with the %s seed file still runs", name)
		}
		bad.waitLine(&bad.stderr, "seed", time.Second)
		outputs = append(outputs, bad.text(&bad.stdout), bad.text(&bad.stderr))
	}

	// Everything written, searched for every form of both secrets.
	keyFile := filepath.Join(onionservice.KeyDir(dataDir), onion.SecretKeyFile)
	keyBytes, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	secrets := secretForms(t, keyBytes)
	if !secrets.foundIn(keyBytes) || !secrets.foundIn([]byte(clienttest.Operator.Seed())) {
		t.Fatal("the search does not find the secrets where they are: it is blind")
	}
	outputs = append(outputs, h.text(&h.stdout), h.text(&h.stderr), answers.String())
	for i, out := range outputs {
		if secrets.foundIn([]byte(out)) {
			t.Errorf("a secret appears in output %d:\n%s", i, out)
		}
	}
	var files int
	for _, dir := range []string{dataDir, logDir, home} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path == keyFile || d.Type()&fs.ModeSocket != 0 {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			files++
			if secrets.foundIn(b) {
				t.Errorf("a secret appears in %s", path)
			}
			return nil
		})
	}
	if st, err := os.Stat(filepath.Join(logDir, "access.log")); err != nil || st.Size() == 0 {
		t.Errorf("no access log was written (%v): the search missed it", err)
	}
	t.Logf("searched %d outputs, %d HTTP answer bytes and %d files for %d forms of the secrets; %d socket polls",
		len(outputs), answers.Len(), files, len(secrets), polls)
}

// payerSession is the paying visitor's TorPlus-Session token: a bearer
// credential for its balance, logged only as a hash.
const payerSession = "bGVha3Rlc3Qtc2Vzc2lvbi10b2tlbi0zMi1ieXRlcyE"

// secrets are byte strings none of which may appear anywhere.
type secrets [][]byte

// secretForms returns the pieces of the onion key (from its file) and of
// the operator's seed (and the session token) to look for: each secret raw, in hex (both cases),
// base64 (std, url, raw) and, for the seed, as its strkey; every encoded
// form also as all its 20-character windows, the raw ones as 16-byte
// windows, so that a truncated or wrapped leak is caught too.
func secretForms(t *testing.T, keyFile []byte) secrets {
	t.Helper()
	if len(keyFile) != 96 {
		t.Fatalf("onion key file is %d bytes, want 96", len(keyFile))
	}
	rawSeed, err := strkey.Decode(strkey.VersionByteSeed, clienttest.Operator.Seed())
	if err != nil {
		t.Fatal(err)
	}
	var s secrets
	window := func(b []byte, n int) {
		for i := 0; i+n <= len(b); i++ {
			s = append(s, b[i:i+n])
		}
	}
	for _, raw := range [][]byte{keyFile[32:], keyFile[32:64], rawSeed} {
		window(raw, 16)
		for _, enc := range []string{hex.EncodeToString(raw), strings.ToUpper(hex.EncodeToString(raw)),
			base64.StdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw), base64.RawStdEncoding.EncodeToString(raw)} {
			window([]byte(enc), 20)
		}
	}
	window([]byte(clienttest.Operator.Seed()), 20)
	window([]byte(payerSession), 20)
	return s
}

func (s secrets) foundIn(b []byte) bool {
	for _, piece := range s {
		if bytes.Contains(b, piece) {
			return true
		}
	}
	return false
}

// leakCaddyfile is the hoster's config for TestHosterLeaksNothing: the
// onion site, metered and paid through horizon, with attention reports,
// its access log in logDir, the admin API and the dashboard on loopback.
func leakCaddyfile(dataDir, logDir, torrc, admin, dash, horizon, seedFile string) string {
	site, _ := filepath.Abs(siteDir)
	return `{
	admin ` + admin + `
	log {
		output file ` + filepath.Join(logDir, "caddy.log") + `
		level DEBUG
	}
	onion ` + dataDir + ` {
		torrc ` + torrc + `
	}
	servers ` + "unix/" + filepath.Join(dataDir, "http.sock") + ` {
		listener_wrappers {
			proxy_protocol
		}
	}
}

http:// {
	bind unix/` + filepath.Join(dataDir, "http.sock") + `
	log {
		output file ` + filepath.Join(logDir, "access.log") + `
		format filter {
			wrap json
			request>headers>Torplus-Session hash
		}
	}
	torplus_attention {
		root ` + site + `
		store sqlite ` + filepath.Join(dataDir, "store.db") + `
	}
	torplus {
		price 1
		destination ` + clienttest.Operator.Address() + `
		asset TPT ` + clienttest.Issuer.Address() + `
		network "` + stellarpaytest.Passphrase + `"
		free_round 1KB
		round 100KB
		grace off
		backend horizon ` + horizon + `
		seed_file ` + seedFile + `
		store sqlite ` + filepath.Join(dataDir, "store.db") + `
	}
	root * ` + site + `
	file_server
}

http://` + dash + ` {
	bind 127.0.0.1
	torplus_dashboard
}
`
}
