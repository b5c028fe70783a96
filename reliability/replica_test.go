package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
	"github.com/torplus/torplus/internal/tally"
	"github.com/torplus/torplus/reliability/harness"
)

// TestReplicaDoubleSpend: two hoster processes (replicas) on one
// PostgreSQL store, one session token visiting both. Its free round, then
// one payment, are spent by many streams on both replicas at once: the
// replicas together serve one free round and one paid round, not one each.
func TestReplicaDoubleSpend(t *testing.T) {
	const free, round = 256 << 10, 1 << 20
	streams, tries := harness.Size(8, 32), harness.Size(2, 10)
	pg := pgtest.Start(t)
	dsn := "postgres " + pg.DSN
	site := harness.Site{
		Root: harness.SiteFiles(t, 4*round, 0),
		Torplus: []string{"price 1", "destination " + allowanceDest, "asset TPT " + allowanceIssuer,
			fmt.Sprintf("free_round %dB", free), fmt.Sprintf("round %dB", round), "grace off"},
		Store:    dsn,
		LogLevel: "ERROR",
	}
	replicas := make([]*harness.Hoster, 2)
	for i := range replicas {
		replicas[i] = harness.NewHoster(t, site.Caddyfile)
		replicas[i].Start()
	}
	db, err := store.OpenPostgres(context.Background(), pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	row := tally.Row{}
	for try := range tries {
		token := randomToken()
		// spend fetches from both replicas at once and returns what came.
		spend := func() int64 {
			var wg sync.WaitGroup
			var got atomic.Int64
			for i := range 2 * streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := harness.NewClient(replicas[i%2].Addr, uint32(70_000+try*1000+i))
					c.Token = token
					defer c.CloseIdleConnections()
					if status, n, _ := c.Fetch(ctx, "/f.bin"); status == 200 {
						got.Add(n)
					}
				}()
			}
			wg.Wait()
			row.Inputs += int64(2 * streams)
			return got.Load()
		}
		got := spend()
		// Pay once, through the shared store, as the payment endpoint would.
		c := harness.NewClient(replicas[0].Addr, uint32(79_000+try))
		c.Token = token
		resp, err := c.Get(ctx, "/f.bin", http.Header{"Accept": {"application/json"}})
		if err != nil || resp.StatusCode != http.StatusPaymentRequired {
			t.Fatalf("after the free round: %v %v", resp, err)
		}
		var pr payreq.Request
		if err := json.Unmarshal(resp.Body, &pr); err != nil {
			t.Fatal(err)
		}
		settle(t, db, pr.ID, fmt.Sprintf("%064x", 0xbeef00+try))
		time.Sleep(time.Second) // replicas look for a payment made elsewhere at most once a second
		got += spend()
		row.Records++
		if got > free+round {
			row.Excess += got - (free + round)
			t.Errorf("try %d: the replicas served %d bytes for one free round and one round (%d)", try, got, free+round)
		}
		if got < round {
			t.Errorf("try %d: the payer got only %d bytes of its paid round", try, got)
		}
	}
	tally.Record(t, row)
}

// settle moves payment request id to paid with hash, once it has reached
// the store (requests are written in batches).
func settle(t *testing.T, db store.DB, id [32]byte, hash string) {
	t.Helper()
	for range 200 {
		if _, err := db.BeginSettle(context.Background(), id, hash, time.Now()); err == nil {
			if _, err := db.FinishSettle(context.Background(), id, hash, time.Now()); err != nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("payment request never reached the store")
}
