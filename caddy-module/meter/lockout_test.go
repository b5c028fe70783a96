package meter

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// payFor settles the payment request of a 402 body through the zone's
// store, as the payment endpoint does once the ledger has the payment.
func payFor(t *testing.T, site *site, zone string, body []byte) {
	t.Helper()
	var pr payreq.Request
	if err := json.Unmarshal(body, &pr); err != nil {
		t.Fatalf("402 body: %v (%s)", err, body)
	}
	id := pr.ID
	l, err := store.Acquire(context.Background(), store.Config{Driver: "sqlite", DSN: filepath.Join(site.dir, "..", zone+".db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	hash := pr.ID.String() // any unique transaction hash
	if _, err := l.BeginSettle(context.Background(), id, hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.FinishSettle(context.Background(), id, hash, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestLockoutNever: with max_sessions full of fresh tokens, newcomers
// still get served or asked for payment (never 503), a paying session is
// never evicted, and an evicted visitor comes back to its spent free
// round, not a fresh one.
func TestLockoutNever(t *testing.T) {
	const max = 4
	site := startSite(t, map[string]map[string]any{"lock": {"free_round": 1000, "grace": "-1ns", "max_sessions": max}}, "")
	site.file("page.bin", 1000)
	u := site.url("lock", "/page.bin")

	// A client that spends its free round, then pays.
	payer := newClient(9001, "", newToken())
	if resp, _ := payer.get(t, u); resp.StatusCode != 200 {
		t.Fatalf("payer's free round: %s", resp.Status)
	}
	resp, body := payer.get(t, u)
	if resp.StatusCode != 402 {
		t.Fatalf("payer past its free round: %s", resp.Status)
	}
	payFor(t, site, "lock", body)
	spent := newClient(9002, "", newToken()) // spends its free round, never pays
	spent.get(t, u)

	// Fresh tokens flood the table, in parallel.
	var wg sync.WaitGroup
	statuses := make(chan int, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _ := newClient(uint32(9100+i), "", newToken()).fetch(t, u)
			statuses <- status
		}()
	}
	wg.Wait()
	close(statuses)
	for status := range statuses {
		if status != 200 && status != 402 {
			t.Fatalf("a newcomer got %d with max_sessions full; want 200 or 402", status)
		}
	}
	tests := []struct {
		name   string
		c      *client
		status int
	}{
		{"the payer is still served", payer, 200},
		{"an evicted visitor's free round stays spent", spent, 402},
		{"a newcomer after the flood", newClient(9300, "", newToken()), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, err := tt.c.fetch(t, u); status != tt.status {
				t.Fatalf("got %d (%v), want %d", status, err, tt.status)
			}
		})
	}
	if n := len(site.sessions("lock")); n > max+1 { // + the circuit a token was first seen on
		t.Fatalf("%d sessions in memory, max_sessions %d", n, max)
	}
}
