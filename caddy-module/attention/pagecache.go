package attention

import (
	"sync"
	"time"
)

// pageCache remembers for pageTTL which paths are pages of the site, so a
// busy site's reports do not look up the same few files on disk thousands
// of times a second. A page added or removed counts as such pageTTL later
// at most. It holds at most pageCacheMax paths, and starts afresh when
// full (so paths made up by a forger cannot grow it).
type pageCache struct {
	mu sync.RWMutex
	m  map[pageKey]pageEntry
}

const (
	pageTTL      = time.Second
	pageCacheMax = 4096
)

type pageKey struct{ root, clean string }

type pageEntry struct {
	is    bool
	until int64 // unix nanos
}

// is tells whether clean is a page under root by pages, from the cache if
// it answered since pageTTL before now.
func (c *pageCache) is(pages Pages, root, clean string, now time.Time) bool {
	k, ns := pageKey{root: root, clean: clean}, now.UnixNano()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && ns < e.until {
		return e.is
	}
	is := pages.Is(root, clean)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= pageCacheMax {
		c.m = make(map[pageKey]pageEntry)
	}
	c.m[k] = pageEntry{is: is, until: ns + int64(pageTTL)}
	c.mu.Unlock()
	return is
}
