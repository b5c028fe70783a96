package identity

import (
	"context"
	"net/http/httptest"
	"testing"
)

// BenchmarkIdentify measures identifying a tor client by its circuit id,
// parsing the PROXY address per request ("parse") and once per connection
// ("conn-cache", WithConnCache). The request's context is as deep as the one
// Caddy hands a handler (about a dozen values above the connection's), so
// the cache's lookup is paid in full.
func BenchmarkIdentify(b *testing.B) {
	for _, bc := range []struct {
		name   string
		cached bool
	}{{"parse", false}, {"conn-cache", true}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			if bc.cached {
				ctx = WithConnCache(ctx, nil)
			}
			type layer int
			for i := range 12 {
				ctx = context.WithValue(ctx, layer(i), i)
			}
			r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
			r.RemoteAddr = "[fc00:dead:beef:4dad::2:1c]:40028"
			b.ReportAllocs()
			for b.Loop() {
				if k, err := Identify(r, false); err != nil || k.Kind != KindCircuit {
					b.Fatal(k, err)
				}
			}
		})
	}
}
