package resolver

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache remembers lookups for as long as their TTLs allow. Answers that a
// record is absent are kept for the zone's negative TTL; failed lookups are
// not kept. Concurrent lookups of one name share a single query.
type Cache struct {
	// Lookuper answers the names the cache does not hold.
	Lookuper Lookuper
	// MaxTTL caps every TTL; zero means one hour.
	MaxTTL time.Duration
	// NegativeTTL is used for an absent record whose answer carried no
	// TTL (ENS, or no SOA); zero means one minute.
	NegativeTTL time.Duration
	// MaxEntries bounds the memory used; zero means 10000.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
	group   singleflight.Group
}

type cacheEntry struct {
	res     *Result
	err     error
	expires time.Time
}

// Lookup returns the cached answer for name while it is fresh, and asks
// the Lookuper otherwise. cached tells which; ttl is how long the answer
// stays fresh from now.
func (c *Cache) Lookup(ctx context.Context, name string) (res *Result, ttl time.Duration, cached bool, err error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.res, e.expires.Sub(now), true, e.err
	}
	// The query is shared by every caller waiting for name, so one
	// caller giving up must not cancel it for the others; the DNS and RPC
	// clients' own timeouts bound it.
	shared := context.WithoutCancel(ctx)
	v, _, _ := c.group.Do(name, func() (any, error) {
		res, err := c.Lookuper.Lookup(shared, name)
		return cacheEntry{res: res, err: err}, nil
	})
	e = v.(cacheEntry)
	ttl = c.ttl(e.res, e.err)
	if ttl > 0 {
		e.expires = now.Add(ttl)
		c.store(name, e, now)
	}
	return e.res, ttl, false, e.err
}

// ttl is how long an answer may be kept: the record's TTL for a found one,
// the negative TTL for an absent one, capped by MaxTTL; zero for failures.
func (c *Cache) ttl(res *Result, err error) time.Duration {
	maxTTL := c.MaxTTL
	if maxTTL <= 0 {
		maxTTL = time.Hour
	}
	var ttl time.Duration
	switch {
	case err == nil && res != nil:
		ttl = res.TTL
	case errors.Is(err, ErrNoRecord):
		ttl = c.NegativeTTL
		if ttl <= 0 {
			ttl = time.Minute
		}
		if res != nil && res.TTL > 0 {
			ttl = res.TTL
		}
	default:
		return 0
	}
	return min(ttl, maxTTL)
}

// store adds an entry, first dropping expired ones and then, if still
// full, arbitrary ones.
func (c *Cache) store(name string, e cacheEntry, now time.Time) {
	limit := c.MaxEntries
	if limit <= 0 {
		limit = 10000
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry)
	}
	if len(c.entries) >= limit {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < limit {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[name] = e
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
