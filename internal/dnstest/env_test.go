package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const testRecords = `torplus IN TXT "torplus=5jfgyy7ctrjavpxvkb5rglwf7gkuo5vox27hxescd3vgsfcg2iwfmxqd"`

// TestEnv checks the harness itself: the authoritative server answers
// without AD, the resolver validates (AD), and a tampered copy is bogus.
func TestEnv(t *testing.T) {
	e := Start(t, "example.test.", testRecords)
	name := "torplus.example.test."

	auth, err := Query(e.Knot.Addr, name, dns.TypeTXT)
	if err != nil || auth.Rcode != dns.RcodeSuccess || auth.AuthenticatedData || len(auth.Answer) != 2 {
		t.Fatalf("authoritative answer: %v %v", err, auth)
	}
	val, err := Query(e.Resolver, name, dns.TypeTXT)
	if err != nil || val.Rcode != dns.RcodeSuccess || !val.AuthenticatedData {
		t.Fatalf("validated answer: %v %v", err, val)
	}

	bad := e.Tampered(t, func(rr dns.RR) dns.RR {
		if txt, ok := rr.(*dns.TXT); ok && strings.HasPrefix(txt.Txt[0], "torplus=") {
			txt.Txt[0] = "torplus=tampered"
		}
		return rr
	})
	r, err := Query(bad.Addr, name, dns.TypeTXT)
	if err != nil || len(r.Answer) == 0 || r.Answer[0].(*dns.TXT).Txt[0] != "torplus=tampered" {
		t.Fatalf("tampered copy does not serve the change: %v %v", err, r)
	}
	bogus := StartUnbound(t, e.Knot.Zone, bad.Addr, e.Anchor)
	r, err = Query(bogus, name, dns.TypeTXT)
	if err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("tampered zone through a validating resolver: want SERVFAIL, got %v %v", err, r)
	}
}
