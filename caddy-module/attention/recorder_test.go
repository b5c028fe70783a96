package attention

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

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

// countingStore is a Store that notes the reports each transaction held
// and, until release is closed, holds the first one back (so that reports
// pile up behind it).
type countingStore struct {
	Store
	release chan struct{}
	mu      sync.Mutex
	held    []int64 // reports per transaction
}

// first is the number of reports in the first transaction, 0 before it.
func (c *countingStore) first() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) == 0 {
		return 0
	}
	return c.held[0]
}

func (c *countingStore) Add(ctx context.Context, rows []Daily, rounds []PageRound) error {
	c.mu.Lock()
	first := len(c.held) == 0
	var n int64
	for _, d := range rows {
		n += d.Reports
	}
	c.held = append(c.held, n)
	c.mu.Unlock()
	if first {
		<-c.release
	}
	return c.Store.Add(ctx, rows, rounds)
}

// TestRecorderBoundsBatches: 1,000 reports that pile up behind a slow
// transaction are written in transactions of at most maxBatch reports,
// every one of them counted once.
func TestRecorderBoundsBatches(t *testing.T) {
	s, _ := openStore(t, "sqlite")
	ctx := context.Background()
	cs := &countingStore{Store: s, release: make(chan struct{})}
	rec := NewRecorder(cs, nil)
	t.Cleanup(func() { rec.Close() })
	d := DayOf(t0)
	const reports = 1000
	var wg sync.WaitGroup
	errs := make(chan error, reports)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- rec.Add(ctx, "s", []string{"/", "/a.html"}[i%2], d, 1, nil)
		}()
	}
	// Bounded: the reports are in memory within seconds.
	for deadline := time.Now().Add(30 * time.Second); rec.opened()+rec.waiting()+cs.first() < reports && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if waiting := rec.waiting(); waiting < 2*maxBatch {
		t.Fatalf("%d reports in full batches behind the held transaction, want at least %d", waiting, 2*maxBatch)
	}
	close(cs.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var sum int64
	for i, n := range cs.held {
		if n > maxBatch {
			t.Errorf("transaction %d held %d reports, more than %d", i, n, maxBatch)
		}
		sum += n
	}
	if sum != reports || len(cs.held) < reports/maxBatch {
		t.Errorf("%d transactions held %d reports, want %d reports in at least %d", len(cs.held), sum, reports, reports/maxBatch)
	}
	want := []PageTotal{{"/", 500, 500}, {"/a.html", 500, 500}}
	if got, err := s.Totals(ctx, "s", d, d+1); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("totals %v (%v), want %v", got, err, want)
	}
}
