package meter

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

func TestRoundOf(t *testing.T) {
	tests := []struct {
		served, free, round int64
		want                int
	}{
		{0, 100, 1000, 1}, {99, 100, 1000, 1}, {100, 100, 1000, 2}, {1099, 100, 1000, 2}, {1100, 100, 1000, 3},
		{0, 0, 1000, 2}, // no free round: the first paid round
		{5, 0, 0, 1},    // no paid rounds configured
	}
	for _, tt := range tests {
		if got := roundOf(tt.served, tt.free, tt.round); got != tt.want {
			t.Errorf("roundOf(%d, %d, %d) = %d, want %d", tt.served, tt.free, tt.round, got, tt.want)
		}
	}
}

// TestLookup: what a running zone of a real Caddy tells the handlers after
// it about a client it served, one it never served, and a zone that does
// not run.
func TestLookup(t *testing.T) {
	s := startSite(t, map[string]map[string]any{"z": {"free_round": 1000, "round_bytes": 5000}}, "")
	s.file("f.bin", 1500)
	token := newToken()
	before := time.Now()
	if resp, _ := newClient(7, "", token).get(t, s.url("z", "/f.bin")); resp.StatusCode != 200 {
		t.Fatalf("GET: %s", resp.Status)
	}
	sum, err := identity.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.Config{Driver: "sqlite", DSN: filepath.Join(s.dir, "..", "z.db")}
	ctx := context.Background()
	z, err := ZoneOf("z", cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := z.Lookup(ctx, identity.SessionKey(sum))
	if err != nil || got.First.Before(before.Add(-time.Second)) || got.First.After(time.Now()) || got.Round != 2 || got.Paid ||
		got.Session() != "z/"+identity.SessionKey(sum).String() {
		t.Errorf("Lookup of the served client = %+v (session %q), %v; want first served just now, past its free round, unpaid", got, got.Session(), err)
	}
	tests := []struct {
		zone string
		key  identity.Key
		want error
	}{
		{"z", identity.SessionKey([32]byte{1, 2, 3}), ErrNotServed},
		{"nowhere", identity.SessionKey(sum), ErrNoZone},
	}
	for _, tt := range tests {
		z, err := ZoneOf(tt.zone, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := z.Lookup(ctx, tt.key); !errors.Is(err, tt.want) {
			t.Errorf("Lookup(%s, %v) = %v, want %v", tt.zone, tt.key, err, tt.want)
		}
	}
	if _, err := ZoneOf("z", store.Config{Driver: "mysql"}); !errors.Is(err, store.ErrBadDriver) {
		t.Errorf("ZoneOf on an unknown driver: %v, want store.ErrBadDriver", err)
	}
}
