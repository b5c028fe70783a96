package dnstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/miekg/dns"
)

// unboundConf follows shared/reference/dns/unbound.conf: a validating
// resolver whose only trust anchor is the test zone's DS and which asks the
// authoritative server directly (stub zone).
var unboundConf = template.Must(template.New("unbound").Parse(`server:
    interface: 127.0.0.1@{{.Port}}
    port: {{.Port}}
    username: ""
    chroot: ""
    directory: "{{.Dir}}"
    pidfile: "{{.Dir}}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    do-ip6: no
    do-not-query-localhost: no
    local-zone: "{{.TLD}}" nodefault
    domain-insecure: "."
    trust-anchor: "{{.Anchor}}"
    val-log-level: 2
    cache-max-negative-ttl: 1
    module-config: "validator iterator"
remote-control:
    control-enable: no
stub-zone:
    name: "{{.Zone}}"
    stub-addr: {{.Auth}}
`))

// StartUnbound starts a validating resolver for zone that asks the
// authoritative server at auth (host:port) and trusts anchor. It returns the
// resolver's address once it answers.
func StartUnbound(t testing.TB, zone, auth string, anchor *dns.DS) string {
	t.Helper()
	bin := lookBinary(t, "unbound")
	dir := t.TempDir()
	labels := dns.SplitDomainName(zone)
	tld := labels[len(labels)-1] + "."
	var d *daemon
	var lastErr error
	for range 3 {
		port := freePort(t)
		var b strings.Builder
		err := unboundConf.Execute(&b, map[string]any{"Port": port, "Dir": dir, "TLD": tld,
			"Anchor": anchor.String(), "Zone": dns.Fqdn(zone), "Auth": strings.Replace(auth, ":", "@", 1)})
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "unbound.conf")
		if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		d = start(t, "unbound", exec.Command(bin, "-d", "-c", conf))
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if lastErr = waitAnswer(d, addr, zone); lastErr == nil {
			return addr
		}
		d.stop()
	}
	t.Fatalf("dnstest: unbound did not start: %v\n%s", lastErr, d.out)
	return ""
}

// waitAnswer polls addr with a checking-disabled SOA query (which answers
// whether or not the zone validates) for at most ten seconds.
func waitAnswer(d *daemon, addr, zone string) error {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	m.CheckingDisabled = true
	c := &dns.Client{Timeout: time.Second}
	var err error
	for range 100 {
		if d.exited() {
			return fmt.Errorf("unbound exited")
		}
		var r *dns.Msg
		if r, _, err = c.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeSuccess {
			return nil
		} else if err == nil {
			err = fmt.Errorf("rcode %s", dns.RcodeToString[r.Rcode])
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
