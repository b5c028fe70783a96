package meter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// discard is a ResponseWriter that throws the body away.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkServeHTTPOverhead measures what the handler adds to one request
// of a known client (identify, decide, count), without the network: the
// cost behind the req/s ratio of BenchmarkFileServer, stable under load.
func BenchmarkServeHTTPOverhead(b *testing.B) {
	db, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "l.db"))
	if err != nil {
		b.Fatal(err)
	}
	l := store.New(db, time.Hour, nil)
	defer l.Close()
	h := &Handler{Price: "1", Destination: testDest, AssetIssuer: testIssuer, FreeRound: 1 << 50, FreeBytesPerMinute: -1}
	h.prepare()
	h.log = zap.NewNop()
	h.st = &state{table: newTable(), budget: newBudget(0, time.Now()), metrics: newMetrics("bench"),
		store: l, log: zap.NewNop()}
	h.st.policy.Store(h.policy)
	body := make([]byte, 4<<10)
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, err := w.Write(body)
		return err
	})
	r := httptest.NewRequest("GET", "/x", nil)
	r.RemoteAddr = "[" + circuitAddr(28) + "]:28"
	r = r.WithContext(identity.WithConnCache(r.Context(), nil)) // as the server's ConnContext hook gives it
	w := &discard{h: http.Header{}}
	b.Run("bare", func(b *testing.B) {
		for range b.N {
			next.ServeHTTP(w, r)
		}
	})
	b.Run("torplus", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			clear(w.h)
			if err := h.ServeHTTP(w, r, next); err != nil {
				b.Fatal(err)
			}
		}
	})
}
