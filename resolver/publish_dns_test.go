package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/dnstest"
)

func TestPublishDNS(t *testing.T) {
	ctx := context.Background()
	env := dnstest.Start(t, "example.test.", `torplus.site IN TXT "v=keep-me"`)
	key := &TSIGKey{Name: env.Knot.TSIG.Name, Algorithm: env.Knot.TSIG.Algorithm, Secret: env.Knot.TSIG.Secret}
	u := &DNSUpdate{Server: env.Knot.Addr, Zone: "example.test", Key: key}
	look := &DNS{Server: env.Knot.Addr, Anchor: env.Anchor}
	idA, idB := newID(t), newID(t)

	// First publication: one record added, nothing removed.
	c, err := u.Plan(ctx, "site.example.test", idA)
	if err != nil || len(c.Add) != 1 || len(c.Remove) != 0 {
		t.Fatalf("plan = %+v, %v", c, err)
	}
	if err := u.Apply(ctx, c); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res, err := look.Lookup(ctx, "site.example.test"); err != nil || res.ID != idA || res.DNSSEC != DNSSECValidated {
		t.Fatalf("after update: %+v, %v", res, err)
	}
	if c, err = u.Plan(ctx, "site.example.test", idA); err != nil || !c.Empty() {
		t.Fatalf("plan after update = %+v, %v; want no change", c, err)
	}

	// Replacing it: a wrong secret, and an unknown key name, are refused
	// and change nothing.
	c, err = u.Plan(ctx, "site.example.test", idB)
	if err != nil || len(c.Add) != 1 || len(c.Remove) != 1 {
		t.Fatalf("plan = %+v, %v", c, err)
	}
	for _, bad := range []*TSIGKey{
		{Name: key.Name, Algorithm: key.Algorithm, Secret: "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE="},
		{Name: "stranger.", Algorithm: key.Algorithm, Secret: key.Secret},
	} {
		bu := *u
		bu.Key = bad
		if err := bu.Apply(ctx, c); !errors.Is(err, ErrRefused) {
			t.Fatalf("apply with %v: %v; want ErrRefused", bad, err)
		}
	}
	if res, err := look.Lookup(ctx, "site.example.test"); err != nil || res.ID != idA {
		t.Fatalf("after refused update: %+v, %v", res, err)
	}
	if err := u.Apply(ctx, c); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res, err := look.Lookup(ctx, "site.example.test"); err != nil || res.ID != idB {
		t.Fatalf("after second update: %+v, %v", res, err)
	}
	r, err := dnstest.Query(env.Knot.Addr, "torplus.site.example.test", dns.TypeTXT)
	if err != nil || len(section(r.Answer, "torplus.site.example.test.", dns.TypeTXT)) != 2 {
		t.Fatalf("the other TXT record should be kept: %v %v", r, err)
	}
}
