package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Env is a signed zone served by Knot and a validating Unbound that trusts it.
type Env struct {
	Knot     *Knot
	Anchor   *dns.DS // DS of the zone's key-signing key
	Resolver string  // Unbound's address, 127.0.0.1:port
}

// Start serves zone (signed) with records, and a validating resolver for it.
func Start(t testing.TB, zone, records string) *Env {
	t.Helper()
	k := StartKnot(t, zone, records, true)
	ds := k.DS(t)
	return &Env{Knot: k, Anchor: ds, Resolver: StartUnbound(t, zone, k.Addr, ds)}
}

// Tampered copies the signed zone by zone transfer, lets change alter any
// record (returning nil drops it) and serves the copy, signatures and all,
// from a second Knot that does not sign. Its answers then fail validation
// wherever change touched a signed record. It returns that server.
func (e *Env) Tampered(t testing.TB, change func(dns.RR) dns.RR) *Knot {
	t.Helper()
	tr := new(dns.Transfer)
	m := new(dns.Msg)
	m.SetAxfr(e.Knot.Zone)
	ch, err := tr.In(m, e.Knot.Addr)
	if err != nil {
		t.Fatalf("dnstest: AXFR: %v", err)
	}
	var b strings.Builder
	b.WriteString("$ORIGIN " + e.Knot.Zone + "\n")
	seenSOA := false
	for env := range ch {
		if env.Error != nil {
			t.Fatalf("dnstest: AXFR: %v", env.Error)
		}
		for _, rr := range env.RR {
			if rr.Header().Rrtype == dns.TypeSOA {
				if seenSOA { // the transfer ends with the SOA again
					continue
				}
				seenSOA = true
			}
			if rr = change(dns.Copy(rr)); rr != nil {
				b.WriteString(rr.String() + "\n")
			}
		}
	}
	return startKnot(t, e.Knot.Zone, b.String(), false)
}
