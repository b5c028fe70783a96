package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/dnstest"
	"github.com/torplus/torplus/internal/onion"
)

// newID returns the id of a fresh onion key.
func newID(t testing.TB) onion.ID {
	t.Helper()
	k, err := onion.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// testZone is the zone the DNS tests share, with one name per case.
func testZone(a, b onion.ID) string {
	var big strings.Builder // enough TXT data that the UDP answer is truncated
	for i := range 20 {
		fmt.Fprintf(&big, "torplus.big IN TXT \"filler-%02d-%s\"\n", i, strings.Repeat("x", 240))
	}
	return fmt.Sprintf(`torplus.match IN TXT "torplus=%[1]s"
torplus.multi IN TXT "torplus=%[1]s"
torplus.multi IN TXT "torplus=%[2]s"
torplus.split IN TXT "torplus=%[3]s" "%[4]s"
torplus.bad   IN TXT "torplus=%[5]s"
torplus.big   IN TXT "torplus=%[1]s"
other.missing IN A 127.0.0.1
%[6]s`, a, b, a[:20], a[20:], a[:55]+"q", big.String())
}

func TestDNSLookup(t *testing.T) {
	idA, idB := newID(t), newID(t)
	env := dnstest.Start(t, "example.test.", testZone(idA, idB))
	wrongAnchor := dns.Copy(env.Anchor).(*dns.DS)
	wrongAnchor.Digest = strings.Repeat("ab", 32)
	otherZone := dns.Copy(env.Anchor).(*dns.DS)
	otherZone.Hdr.Name = "other.test."
	tampered := env.Tampered(t, func(rr dns.RR) dns.RR {
		if txt, ok := rr.(*dns.TXT); ok && txt.Hdr.Name == "torplus.match.example.test." {
			txt.Txt = []string{"torplus=" + string(idB)}
		}
		return rr
	})
	tamperedResolver := dnstest.StartUnbound(t, "example.test.", tampered.Addr, env.Anchor)

	auth, val := env.Knot.Addr, env.Resolver
	tests := []struct {
		name, server, domain string
		requireAD            bool
		anchor               *dns.DS
		want                 onion.ID
		dnssec               string
		err                  error
	}{
		{"match via resolver", val, "match.example.test", false, nil, idA, DNSSECNone, nil},
		{"match require-ad", val, "match.example.test", true, nil, idA, DNSSECAuthenticated, nil},
		{"match anchor at authoritative", auth, "match.example.test", false, env.Anchor, idA, DNSSECValidated, nil},
		{"match anchor via resolver", val, "match.example.test.", true, env.Anchor, idA, DNSSECValidated, nil},
		{"multi-string", auth, "split.example.test", false, env.Anchor, idA, DNSSECValidated, nil},
		{"truncated, over TCP", auth, "big.example.test", false, env.Anchor, idA, DNSSECValidated, nil},
		{"missing (NXDOMAIN)", val, "nothing.example.test", true, nil, "", "", ErrNoRecord},
		{"missing, denial validated", auth, "nothing.example.test", false, env.Anchor, "", "", ErrNoRecord},
		{"missing, no data, denial validated", auth, "missing.example.test", false, env.Anchor, "", "", ErrNoRecord},
		{"multiple records", val, "multi.example.test", true, nil, "", "", ErrMultipleRecords},
		{"invalid id", auth, "bad.example.test", false, nil, "", "", onion.ErrInvalidID},
		{"require-ad at authoritative", auth, "match.example.test", true, nil, "", "", ErrNotValidated},
		{"wrong anchor", auth, "match.example.test", false, wrongAnchor, "", "", ErrBogus},
		{"anchor of another zone", auth, "match.example.test", false, otherZone, "", "", ErrNotValidated},
		{"tampered, validating resolver", tamperedResolver, "match.example.test", true, nil, "", "", ErrBogus},
		{"tampered, local validation", tampered.Addr, "match.example.test", false, env.Anchor, "", "", ErrBogus},
		{"tampered, not checked", tampered.Addr, "match.example.test", false, nil, idB, DNSSECNone, nil},
	}
	// The big answer really is truncated over UDP, so the lookup above has
	// to have gone over TCP.
	m := new(dns.Msg)
	m.SetQuestion("torplus.big.example.test.", dns.TypeTXT)
	m.SetEdns0(dns.DefaultMsgSize, true)
	if r, _, err := new(dns.Client).Exchange(m, auth); err != nil || !r.Truncated {
		t.Fatalf("UDP answer for the big record should be truncated: %v %v", err, r)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &DNS{Server: tt.server, RequireAD: tt.requireAD, Anchor: tt.anchor}
			res, err := d.Lookup(context.Background(), tt.domain)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Lookup error = %v; want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if res.ID != tt.want || res.DNSSEC != tt.dnssec || res.Source != SourceDNS || res.TTL <= 0 {
				t.Fatalf("Lookup = %+v; want id %s, dnssec %s", res, tt.want, tt.dnssec)
			}
		})
	}
}

// BenchmarkLookupAnchored measures a lookup validated locally from the
// anchor (two queries to Knot and three signature checks).
func BenchmarkLookupAnchored(b *testing.B) {
	id := newID(b)
	env := dnstest.Start(b, "example.test.", `torplus.match IN TXT "torplus=`+string(id)+`"`)
	d := &DNS{Server: env.Knot.Addr, Anchor: env.Anchor}
	ctx := context.Background()
	for b.Loop() {
		if res, err := d.Lookup(ctx, "match.example.test"); err != nil || res.ID != id {
			b.Fatal(res, err)
		}
	}
}
