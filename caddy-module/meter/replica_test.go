package meter

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/internal/pgtest"
)

// TestReplicaSharesPostgresLedger: a payment settled by another replica
// (here: a separate connection to the same PostgreSQL ledger, so no
// in-process notice) unblocks the client on its next request.
func TestReplicaSharesPostgresLedger(t *testing.T) {
	pg := pgtest.Start(t)
	site := startSite(t, map[string]map[string]any{"pg": {"free_round": 4000, "grace": "-1ns",
		"store": map[string]any{"driver": "postgres", "dsn": pg.DSN, "flush_interval": "20ms"}}}, "")
	site.file("small.txt", 2000)
	u := site.url("pg", "/small.txt")
	c := newClient(7001, "", "")
	for range 2 {
		c.get(t, u)
	}
	resp, body := c.get(t, u)
	var pr payreq.Request
	if err := json.Unmarshal(body, &pr); resp.StatusCode != 402 || err != nil {
		t.Fatalf("exhausted: %s (%v)", resp.Status, err)
	}
	id := pr.ID

	other, err := store.OpenPostgres(context.Background(), pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var settled bool
	for range 100 { // the request reaches PostgreSQL within a flush interval
		if _, err := other.BeginSettle(context.Background(), id, "bb22", time.Now()); err == nil {
			settled = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !settled {
		t.Fatal("payment request never reached the shared ledger")
	}
	if _, err := other.FinishSettle(context.Background(), id, "bb22", time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pollEvery) // the meter checks the ledger at most once per pollEvery
	if resp, _ := c.get(t, u); resp.StatusCode != 200 {
		t.Fatalf("after another replica settled: %s, want 200", resp.Status)
	}
	key := sessionKey("pg", mustKey(t, circuitKey(7001)))
	s, err := other.Session(context.Background(), key)
	for i := 0; i < 100 && (err != nil || s.BytesServed < 4000); i++ {
		time.Sleep(50 * time.Millisecond)
		s, err = other.Session(context.Background(), key)
	}
	if err != nil || s.BytesServed < 4000 || s.FreeBytes != 4000 {
		t.Fatalf("session in the shared ledger: %+v, %v", s, err)
	}
}
