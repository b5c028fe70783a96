package attention

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPageCache: a page check is remembered for pageTTL, no longer (a
// page removed stops counting, a page added starts), and paths made up by
// a forger never grow the cache past pageCacheMax.
func TestPageCache(t *testing.T) {
	root := site(t)
	var c pageCache
	pages := Pages{}
	tests := []struct {
		name  string
		at    time.Duration
		setup func()
		path  string
		want  bool
	}{
		{"a page", 0, nil, "/about.html", true},
		{"not a page", 0, nil, "/new.html", false},
		{"removed, within the TTL", pageTTL / 2, func() { os.Remove(filepath.Join(root, "about.html")) }, "/about.html", true},
		{"added, within the TTL", pageTTL / 2, func() { os.WriteFile(filepath.Join(root, "new.html"), []byte("x"), 0o644) }, "/new.html", false},
		{"removed, after the TTL", pageTTL, nil, "/about.html", false},
		{"added, after the TTL", pageTTL, nil, "/new.html", true},
	}
	for _, tt := range tests {
		if tt.setup != nil {
			tt.setup()
		}
		if got := c.is(pages, root, tt.path, t0.Add(tt.at)); got != tt.want {
			t.Errorf("%s: %s is a page: %v, want %v", tt.name, tt.path, got, tt.want)
		}
	}
	for i := range 3 * pageCacheMax {
		c.is(pages, root, fmt.Sprintf("/made-up-%d.html", i), t0)
		if len(c.m) > pageCacheMax {
			t.Fatalf("%d paths cached after %d made-up ones, at most %d", len(c.m), i+1, pageCacheMax)
		}
	}
}
