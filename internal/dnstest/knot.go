package dnstest

import (
	"crypto/rand"
	"encoding/base64"
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

// TSIG is a shared secret the authoritative server accepts dynamic updates
// (RFC 2136) with.
type TSIG struct {
	Name      string // key name, fully qualified ("torplus-update.")
	Algorithm string // dns.HmacSHA256
	Secret    string // base64
}

// Knot is a running authoritative Knot server for one zone.
type Knot struct {
	Zone string // fully qualified zone name
	Addr string // 127.0.0.1:port, UDP and TCP
	TSIG TSIG   // the key allowed to update the zone
	Dir  string // config, database and zone files
	d    *daemon
}

// knotConf is the server configuration. It follows
// shared/reference/dns/knot.conf and adds the update key and the ACLs.
var knotConf = template.Must(template.New("knot").Parse(`server:
    rundir: "{{.Dir}}/run"
    listen: {{.Addr}}
database:
    storage: "{{.Dir}}/db"
log:
  - target: stderr
    any: info
key:
  - id: {{.TSIG.Name}}
    algorithm: hmac-sha256
    secret: {{.TSIG.Secret}}
acl:
  - id: update
    address: 127.0.0.1
    key: {{.TSIG.Name}}
    action: update
  - id: transfer
    address: 127.0.0.1
    action: transfer
policy:
  - id: fast
    algorithm: ed25519
    nsec3: off
zone:
  - domain: {{.Zone}}
    storage: "{{.Dir}}/zones"
    file: "zone"
    acl: [update, transfer]
{{- if .Sign}}
    dnssec-signing: on
    dnssec-policy: fast
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
{{- else}}
    dnssec-signing: off
{{- end}}
`))

// zoneHeader is the SOA and NS every test zone starts with.
const zoneHeader = `$TTL 300
@        IN SOA ns1 hostmaster 2026010101 3600 900 604800 60
@        IN NS  ns1
ns1      IN A   127.0.0.1
`

// StartKnot serves zone with the given records (zone-file lines, names
// relative to the zone) and, when sign is true, signs it automatically. It
// returns once the server answers, signed if asked, or fails the test.
func StartKnot(t testing.TB, zone, records string, sign bool) *Knot {
	t.Helper()
	body := "$ORIGIN " + dns.Fqdn(zone) + "\n" + zoneHeader + records + "\n"
	return startKnot(t, zone, body, sign)
}

func startKnot(t testing.TB, zone, zoneFile string, sign bool) *Knot {
	t.Helper()
	bin := lookBinary(t, "knotd")
	dir := t.TempDir()
	for _, sub := range []string{"run", "db", "zones"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "zones", "zone"), []byte(zoneFile), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &Knot{Zone: dns.Fqdn(zone), Dir: dir, TSIG: newTSIG(t)}
	var lastErr error
	for range 3 { // a picked port may be taken before knotd binds it
		k.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		conf := filepath.Join(dir, "knot.conf")
		var b strings.Builder
		err := knotConf.Execute(&b, map[string]any{"Dir": dir, "Addr": strings.Replace(k.Addr, ":", "@", 1),
			"TSIG": k.TSIG, "Zone": k.Zone, "Sign": sign})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		k.d = start(t, "knotd", exec.Command(bin, "-c", conf))
		if lastErr = k.waitReady(sign); lastErr == nil {
			return k
		}
		k.d.stop()
	}
	t.Fatalf("dnstest: knotd did not serve %s: %v\n%s", k.Zone, lastErr, k.d.out)
	return nil
}

// waitReady polls for the zone's SOA (and DNSKEY when signed) for at most
// ten seconds.
func (k *Knot) waitReady(signed bool) error {
	qtype := dns.TypeSOA
	if signed {
		qtype = dns.TypeDNSKEY
	}
	var err error
	for range 200 {
		if k.d.exited() {
			return fmt.Errorf("knotd exited")
		}
		var r *dns.Msg
		if r, err = Query(k.Addr, k.Zone, qtype); err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// DS returns the DS record (SHA-256) of the zone's key-signing key, read
// from the running server: the trust anchor of the zone.
func (k *Knot) DS(t testing.TB) *dns.DS {
	t.Helper()
	r, err := Query(k.Addr, k.Zone, dns.TypeDNSKEY)
	if err != nil {
		t.Fatalf("dnstest: DNSKEY: %v", err)
	}
	for _, rr := range r.Answer {
		if key, ok := rr.(*dns.DNSKEY); ok && key.Flags&dns.SEP != 0 {
			return key.ToDS(dns.SHA256)
		}
	}
	t.Fatalf("dnstest: %s has no key-signing key", k.Zone)
	return nil
}

// Query sends one DNSSEC-enabled (DO) query over UDP, retrying over TCP when
// the answer is truncated.
func Query(addr, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(4096, true)
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, addr)
	}
	return r, err
}

func newTSIG(t testing.TB) TSIG {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return TSIG{Name: "torplus-update.", Algorithm: dns.HmacSHA256, Secret: base64.StdEncoding.EncodeToString(secret)}
}
