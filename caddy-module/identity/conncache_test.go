package identity

import (
	"context"
	"net/http/httptest"
	"testing"
)

// TestConnCache checks that requests on one connection (one cache) are
// identified from the cached address, that a changed RemoteAddr is parsed
// afresh rather than answered from the cache, and that registering the
// hook twice keeps one cache.
func TestConnCache(t *testing.T) {
	ctx := WithConnCache(context.Background(), nil)
	if again := WithConnCache(ctx, nil); again != ctx {
		t.Fatal("a second WithConnCache added another cache")
	}
	c := ctx.Value(connCacheKey{}).(*connCache)
	tests := []struct {
		remote string
		want   Key
		err    error
	}{
		{"[fc00:dead:beef:4dad::0:1c]:28", CircuitKey(processEpoch, 0x1c), nil},
		{"[fc00:dead:beef:4dad::0:1c]:28", CircuitKey(processEpoch, 0x1c), nil}, // from the cache
		{"[fc00:dead:beef:4dad::0:1d]:28", CircuitKey(processEpoch, 0x1d), nil}, // another text: parsed again
		{"127.0.0.1:80", Key{}, ErrClearnetDenied},
		{"bogus", Key{}, ErrClearnetDenied},
	}
	for i, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
		r.RemoteAddr = tt.remote
		got, err := Identify(r, false)
		if got != tt.want || (err == nil) != (tt.err == nil) {
			t.Fatalf("%d: Identify(%q) = %v, %v; want %v, %v", i, tt.remote, got, err, tt.want, tt.err)
		}
		if p := c.last.Load(); p == nil || p.remote != tt.remote {
			t.Fatalf("%d: cache holds %+v, want the parse of %q", i, p, tt.remote)
		}
	}
}

// FuzzIdentifyConnCache checks that the cache never changes an answer:
// for any remote address, Identify through a connection cache (a first
// request that fills it, a second answered from it) gives what Identify
// without one gives.
func FuzzIdentifyConnCache(f *testing.F) {
	f.Add("[fc00:dead:beef:4dad::0:1c]:28", false)
	f.Add("127.0.0.1:80", true)
	f.Add("[::ffff:127.0.0.1]:9", true)
	f.Add("@", true)
	f.Fuzz(func(t *testing.T, remote string, clearnet bool) {
		plain := httptest.NewRequest("GET", "/", nil)
		plain.RemoteAddr = remote
		want, wantErr := Identify(plain, clearnet)
		ctx := WithConnCache(context.Background(), nil)
		for i := range 2 {
			r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
			r.RemoteAddr = remote
			got, err := Identify(r, clearnet)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Fatalf("request %d through the cache: %v, %v; without: %v, %v", i, got, err, want, wantErr)
			}
		}
	})
}
