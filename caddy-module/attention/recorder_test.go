package attention

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/ledger"
)

func TestRecorderBatchesAndKeepsOnFailure(t *testing.T) {
	s, l := openStore(t, "sqlite")
	ctx := context.Background()
	rec := NewRecorder(s, time.Hour, 4, nil)
	d := DayOf(t0)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				path := []string{"/", "/a.html", "/b.html"}[i%3]
				if err := rec.Add(ctx, "s", path, d, 10); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// The database goes away: the flush fails and nothing is dropped.
	db, _, _ := ledger.SQL(l)
	if _, err := db.Exec(`ALTER TABLE torplus_attention_daily RENAME TO hidden`); err != nil {
		t.Fatal(err)
	}
	rec.Add(ctx, "s", "/a.html", d+1, 5)
	if err := rec.Flush(ctx); err == nil {
		t.Fatal("flush to a missing table succeeded")
	}
	if _, err := db.Exec(`ALTER TABLE hidden RENAME TO torplus_attention_daily`); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Totals(ctx, "s", d, d+2)
	if err != nil {
		t.Fatal(err)
	}
	// 4×250 reports: 4×84 on "/", 4×83 on each other page; one more on /a.html the next day.
	want := []PageTotal{{"/", 3360, 336}, {"/a.html", 3325, 333}, {"/b.html", 3320, 332}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("totals %v, want %v", got, want)
	}
}
