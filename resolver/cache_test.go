package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/dnstest"
)

// TestCacheBounds checks the cache against a real server: TTLs are capped
// by MaxTTL, absence is kept for the SOA's negative TTL (60 s here), failures are not kept,
// and the number of entries stays within MaxEntries.
func TestCacheBounds(t *testing.T) {
	id := newID(t)
	var zone strings.Builder
	for i := range 4 {
		fmt.Fprintf(&zone, "torplus.s%d IN TXT \"torplus=%s\"\n", i, id)
	}
	env := dnstest.Start(t, "example.test.", zone.String())
	clock := &fakeClock{t: time.Now()}
	c := &Cache{Lookuper: &DNS{Server: env.Knot.Addr}, MaxTTL: 100 * time.Second, NegativeTTL: 5 * time.Minute, MaxEntries: 2, Now: clock.Now}
	ctx := context.Background()

	if _, ttl, cached, err := c.Lookup(ctx, "s0.example.test"); err != nil || ttl != 100*time.Second || cached {
		t.Fatalf("first lookup: ttl %v cached %v err %v", ttl, cached, err)
	}
	if _, ttl, cached, err := c.Lookup(ctx, "none.example.test"); !errors.Is(err, ErrNoRecord) || ttl != time.Minute || cached {
		t.Fatalf("absent: ttl %v cached %v err %v", ttl, cached, err)
	}
	if _, _, cached, err := c.Lookup(ctx, "none.example.test"); !errors.Is(err, ErrNoRecord) || !cached {
		t.Fatalf("absent again: cached %v err %v", cached, err)
	}
	for i := 1; i < 4; i++ {
		c.Lookup(ctx, fmt.Sprintf("s%d.example.test", i))
		if n := len(c.entries); n > 2 {
			t.Fatalf("%d entries, limit 2", n)
		}
	}
	dead := &Cache{Lookuper: &DNS{Server: "127.0.0.1:1", Timeout: time.Second}}
	if _, ttl, _, err := dead.Lookup(ctx, "s0.example.test"); !errors.Is(err, ErrLookup) || ttl != 0 || len(dead.entries) != 0 {
		t.Fatalf("failure: ttl %v err %v entries %d", ttl, err, len(dead.entries))
	}
}
