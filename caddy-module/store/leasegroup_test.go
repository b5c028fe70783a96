package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// heldLeaser is a real Leaser whose first batch waits for release, and
// which records the size of every batch.
type heldLeaser struct {
	Leaser
	entered, release chan struct{}
	mu               sync.Mutex
	batches          []int
}

func (h *heldLeaser) Leases(ctx context.Context, reqs []LeaseRequest) ([]int64, error) {
	h.mu.Lock()
	h.batches = append(h.batches, len(reqs))
	first := len(h.batches) == 1
	h.mu.Unlock()
	if first {
		close(h.entered)
		<-h.release
	}
	return h.Leaser.Leases(ctx, reqs)
}

// TestLeaseGroupBatches: leases that arrive while a batch is being written
// share the next transaction (at most leaseBatch each), each gets its own
// grant, and a Store's leases go through the group.
func TestLeaseGroupBatches(t *testing.T) {
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := &heldLeaser{Leaser: db.(Leaser), entered: make(chan struct{}), release: make(chan struct{})}
	var g leaseGroup
	ctx := context.Background()
	first := make(chan int64)
	go func() {
		n, err := g.lease(ctx, h, LeaseRequest{Session: "s:first", Free: 10, Want: 4})
		if err != nil {
			t.Error(err)
		}
		first <- n
	}()
	<-h.entered
	const waiting = leaseBatch + 44
	var wg sync.WaitGroup
	grants := make([]int64, waiting)
	for i := range waiting {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := g.lease(ctx, h, LeaseRequest{Session: fmt.Sprintf("s:%d", i%100), Free: 1000, Want: int64(1 + i%7)})
			if err != nil {
				t.Error(err)
			}
			grants[i] = n
		}()
	}
	for { // all of them queued behind the first batch
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == waiting {
			break
		}
		runtime.Gosched()
	}
	close(h.release)
	wg.Wait()
	if n := <-first; n != 4 {
		t.Fatalf("first lease granted %d, want 4", n)
	}
	for i, n := range grants {
		if n != int64(1+i%7) {
			t.Fatalf("lease %d granted %d, want %d", i, n, 1+i%7)
		}
	}
	if want := []int{1, leaseBatch, waiting - leaseBatch}; fmt.Sprint(h.batches) != fmt.Sprint(want) {
		t.Fatalf("batches %v, want %v", h.batches, want)
	}
	if _, err := g.lease(ctx, h, LeaseRequest{Session: "s:bad", Want: -1}); !errors.Is(err, ErrBadLease) {
		t.Fatalf("a bad lease: %v, want ErrBadLease", err)
	}
}
