package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// TestLedgerWatch runs the ledger watcher's store against every backend:
// cursors per zone, a sighting stored once, requests found by number,
// submissions.
func TestLedgerWatch(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, reopen := b.open(t)
			ctx := context.Background()
			w := db.(LedgerWatch)
			t.Run("cursor", func(t *testing.T) {
				if c, err := w.LoadCursor(ctx, testZone); err != nil || c != "" {
					t.Fatalf("no cursor yet: %q, %v", c, err)
				}
				must(t, w.SaveCursor(ctx, testZone, "0000000042-0000000001"))
				must(t, w.SaveCursor(ctx, testZone, "0000000043-0000000001"))
				must(t, w.SaveCursor(ctx, "other", "0000000001-0000000001"))
				db = reopen()
				w = db.(LedgerWatch)
				if c, err := w.LoadCursor(ctx, testZone); err != nil || c != "0000000043-0000000001" {
					t.Fatalf("cursor after a restart: %q, %v", c, err)
				}
			})
			t.Run("sightings", func(t *testing.T) {
				g := Sighting{Key: "ab:0:1", Zone: testZone, TxHash: "ab", Ledger: 7, ClosedAt: t0, From: "GPAYER",
					Amount: 14_999_999, Dest: "id:42", PaymentRequest: payreq.ID{9}, Verdict: SightingShort, SeenAt: t0.Add(time.Second)}
				for i, want := range []bool{true, false} {
					again := g
					again.Verdict = SightingCredited // a second sighting of the key changes nothing
					if i == 0 {
						again = g
					}
					added, err := w.RecordSighting(ctx, again)
					if err != nil || added != want {
						t.Fatalf("record %d: added %v, %v; want %v", i, added, err, want)
					}
				}
				late := g
				late.Key, late.Verdict, late.SeenAt = "cd:0:0", SightingLate, t0.Add(time.Minute)
				elsewhere := g
				elsewhere.Key, elsewhere.Zone = "ef:0:0", "other"
				for _, x := range []Sighting{late, elsewhere} {
					if _, err := w.RecordSighting(ctx, x); err != nil {
						t.Fatal(err)
					}
				}
				all, err := w.Sightings(ctx, testZone, "", 10)
				must(t, err)
				if len(all) != 2 || all[0].Key != late.Key || all[1] != g {
					t.Fatalf("Sightings = %+v, want late then %+v", all, g)
				}
				short, err := w.Sightings(ctx, testZone, SightingShort, 10)
				if err != nil || len(short) != 1 || short[0].Key != g.Key {
					t.Fatalf("short sightings %+v, %v", short, err)
				}
				if every, err := w.Sightings(ctx, "", "", 10); err != nil || len(every) != 3 {
					t.Fatalf("every zone's sightings %+v, %v", every, err)
				}
			})
			t.Run("request by number", func(t *testing.T) {
				a, b, c := pr(0x51, "s1"), pr(0x51, "s2"), pr(0x52, "s3")
				b.ID[31], b.CreatedAt = 0xff, t0.Add(time.Second) // same number, newer
				c.Zone = "other"
				must(t, db.PutPaymentRequests(ctx, []PaymentRequest{a, b, c}))
				got, err := w.PaymentRequestByNumber(ctx, testZone, a.ID.Number())
				if err != nil || got.ID != b.ID {
					t.Fatalf("by number: %v, %v; want the newer %v", got.ID, err, b.ID)
				}
				for _, n := range []uint64{c.ID.Number(), a.ID.Number() + 1} {
					if _, err := w.PaymentRequestByNumber(ctx, testZone, n); !errors.Is(err, ErrNotFound) {
						t.Errorf("number %x: %v, want ErrNotFound", n, err)
					}
				}
			})
			t.Run("reopen expired", func(t *testing.T) {
				p := pr(0x71, "s")
				must(t, db.PutPaymentRequests(ctx, []PaymentRequest{p}))
				if ok, err := w.ReopenExpired(ctx, p.ID, t0); err != nil || ok {
					t.Fatalf("a pending request reopened: %v, %v", ok, err)
				}
				_, err := db.ExpirePending(ctx, p.ExpiresAt)
				must(t, err)
				for _, c := range []struct {
					paid time.Time
					want bool
				}{{p.ExpiresAt, false}, {p.ExpiresAt.Add(-time.Second), true}} {
					if ok, err := w.ReopenExpired(ctx, p.ID, c.paid); err != nil || ok != c.want {
						t.Fatalf("paid at %s: reopened %v, %v; want %v", c.paid, ok, err, c.want)
					}
				}
				if got, err := db.PaymentRequest(ctx, p.ID); err != nil || got.State != Pending {
					t.Fatalf("reopened request: %s, %v", got.State, err)
				}
			})
			t.Run("submissions", func(t *testing.T) {
				id := payreq.ID{0x61}
				must(t, w.RecordSubmission(ctx, "tx1", id, "key", t0))
				must(t, w.RecordSubmission(ctx, "tx1", id, "key", t0)) // recorded once
				must(t, w.RecordSubmission(ctx, "tx2", id, "key", t0.Add(time.Second)))
				sent, err := w.Submissions(ctx, "key")
				if err != nil || len(sent) != 2 || sent[0] != "tx1" || sent[1] != "tx2" {
					t.Fatalf("Submissions = %v, %v", sent, err)
				}
				p := pr(0x62, "s")
				must(t, db.PutPaymentRequests(ctx, []PaymentRequest{p}))
				_, err = db.BeginSettle(ctx, p.ID, "tx3", t0)
				must(t, err)
				for h, want := range map[string]bool{"tx1": true, "tx3": true, "tx4": false} {
					if got, err := w.Submitted(ctx, h); err != nil || got != want {
						t.Errorf("Submitted(%s) = %v, %v; want %v", h, got, err, want)
					}
				}
			})
		})
	}
}
