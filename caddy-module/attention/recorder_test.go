package attention

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/torplus/torplus/caddy-module/store"
)

// TestRecorderCommitsBeforeAcknowledging: every Add that returns nil is
// already in the database (no flush, no close needed), concurrent reports
// share transactions, and a report whose write fails is refused with
// ErrUnavailable and not counted later.
func TestRecorderCommitsBeforeAcknowledging(t *testing.T) {
	s, l := openStore(t, "sqlite")
	ctx := context.Background()
	rec := NewRecorder(s, nil)
	t.Cleanup(func() { rec.Close() })
	d := DayOf(t0)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				path := []string{"/", "/a.html", "/b.html"}[i%3]
				if err := rec.Add(ctx, "s", path, d, 10, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// 4×250 reports: 4×84 on "/", 4×83 on each other page, read straight
	// from the database.
	want := []PageTotal{{"/", 3360, 336}, {"/a.html", 3320, 332}, {"/b.html", 3320, 332}}
	if got, err := s.Totals(ctx, "s", d, d+2); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("totals %v (%v), want %v", got, err, want)
	}

	// The table goes away: the report is refused, and not written later.
	db, _, _ := store.SQL(l)
	if _, err := db.Exec(`ALTER TABLE torplus_attention_daily RENAME TO hidden`); err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(ctx, "s", "/a.html", d+1, 5, nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("report to a missing table: %v, want ErrUnavailable", err)
	}
	if _, err := db.Exec(`ALTER TABLE hidden RENAME TO torplus_attention_daily`); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Totals(ctx, "s", d+1, d+2); err != nil || len(got) != 0 {
		t.Fatalf("a refused report was written: %v (%v)", got, err)
	}
	if err := rec.Add(ctx, "s", "/a.html", d, 5, nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("report after Close: %v, want ErrUnavailable", err)
	}
}
