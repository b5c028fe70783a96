package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConformanceLease: on SQLite and PostgreSQL, leases from many
// goroutines over two handles of one database (two replicas) never add up
// to more than the free round plus the credits; a credit adds to what can
// be leased, returns give bytes back (many at once, over several
// transactions), and bad amounts are refused without undoing the rest.
func TestConformanceLease(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			one, reopen := b.open(t)
			two := one // PostgreSQL: a pool of connections, each as another replica's
			if b.name == "sqlite" {
				two = reopen() // a second handle on the same file
			}
			testLease(t, one, two)
		})
	}
}

func testLease(t *testing.T, one, two DB) {
	ctx := context.Background()
	const free, chunk = 100_000, 4096
	var leased atomic.Int64
	var wg sync.WaitGroup
	// Through two Stores, whose concurrent leases share transactions.
	stores := []*Store{{DB: one}, {DB: two}}
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				g, err := stores[i%2].Lease(ctx, "session:replicated", free, chunk)
				if err != nil {
					t.Error(err)
					return
				}
				if g == 0 {
					return
				}
				leased.Add(g)
			}
		}()
	}
	wg.Wait()
	if got := leased.Load(); got != free {
		t.Fatalf("leased %d in total, want exactly the free round %d", got, free)
	}
	p := pr(60, "session:replicated")
	must(t, one.PutPaymentRequests(ctx, []PaymentRequest{p}))
	if _, err := one.BeginSettle(ctx, p.ID, "feed60", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := one.FinishSettle(ctx, p.ID, "feed60", t0); err != nil {
		t.Fatal(err)
	}
	// lease leases from session:replicated alone.
	lease := func(l Leaser, free, want int64) (int64, error) {
		g, err := l.Leases(ctx, []LeaseRequest{{Session: "session:replicated", Free: free, Want: want}})
		if err != nil {
			return 0, err
		}
		return g[0], nil
	}
	steps := []struct {
		name    string
		db      DB
		op      func(Leaser) (int64, error)
		want    int64
		wantErr error
	}{
		{"one transaction: one session's requests in turn, another's apart", one, func(l Leaser) (int64, error) {
			g, err := l.Leases(ctx, []LeaseRequest{{"session:b", 100, 60}, {"session:c", 50, 80}, {"session:b", 100, 60}, {"session:c", 50, 1}})
			if !slices.Equal(g, []int64{60, 50, 40, 0}) {
				return 0, fmt.Errorf("grants %v, want [60 50 40 0]", g)
			}
			return 0, err
		}, 0, nil},
		{"a bad request leases nothing", two, func(l Leaser) (int64, error) {
			_, err := l.Leases(ctx, []LeaseRequest{{"session:d", 100, 10}, {"session:d", 100, -1}})
			if g, _ := l.Leases(ctx, []LeaseRequest{{"session:d", 100, 1 << 20}}); g[0] != 100 {
				return g[0], err
			}
			return 0, err
		}, 0, ErrBadLease},
		{"a credit adds its bytes", two, func(l Leaser) (int64, error) { return lease(l, free, 1<<40) }, p.Bytes, nil},
		{"then nothing is left", one, func(l Leaser) (int64, error) { return lease(l, free, 1) }, 0, nil},
		{"a return gives bytes back", one, func(l Leaser) (int64, error) {
			return 0, l.ReturnLeases(ctx, []LeaseReturn{{Session: "session:replicated", Bytes: 500}})
		}, 0, nil},
		{"to be leased again", two, func(l Leaser) (int64, error) { return lease(l, free, 1<<40) }, 500, nil},
		{"a bad return in a batch is refused, the others are made", one, func(l Leaser) (int64, error) {
			return 0, l.ReturnLeases(ctx, []LeaseReturn{{Session: "session:other", Bytes: 1},
				{Session: "session:replicated", Bytes: 300}, {Session: "session:replicated", Bytes: -1}})
		}, 0, ErrBadLease},
		{"what the batch gave back is leased again", two, func(l Leaser) (int64, error) { return lease(l, free, 1<<40) }, 300, nil},
		{"a batch larger than one transaction", one, func(l Leaser) (int64, error) {
			back := make([]LeaseReturn, 2*returnsPerTx+1)
			for i := range back {
				back[i] = LeaseReturn{Session: "session:replicated", Bytes: 1}
			}
			return 0, l.ReturnLeases(ctx, back)
		}, 0, nil},
		{"gave back all of it", two, func(l Leaser) (int64, error) { return lease(l, free, 1<<40) }, 2*returnsPerTx + 1, nil},
		{"the free round is the first lease's", one, func(l Leaser) (int64, error) { return lease(l, 1<<40, 1) }, 0, nil},
		{"return more than leased", one, func(l Leaser) (int64, error) {
			return 0, l.ReturnLeases(ctx, []LeaseReturn{{Session: "session:other", Bytes: 1}})
		}, 0, ErrBadLease},
		{"negative lease", one, func(l Leaser) (int64, error) { return lease(l, free, -1) }, 0, ErrBadLease},
	}
	if _, err := stores[0].Lease(ctx, "session:replicated", -1, 1); !errors.Is(err, ErrBadLease) {
		t.Fatalf("a Store's lease of a negative free round: %v, want ErrBadLease", err)
	}
	for _, st := range steps {
		got, err := st.op(st.db.(Leaser))
		if !errors.Is(err, st.wantErr) || got != st.want {
			t.Fatalf("%s: got %d, %v; want %d, %v", st.name, got, err, st.want, st.wantErr)
		}
	}
}
