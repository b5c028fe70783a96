package attention

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Recorder adds accepted reports to in-memory totals per site, day and
// path, and writes the totals to a Store in batches: every FlushEvery, when
// MaxKeys distinct totals are waiting (the caller then waits for the write,
// so a burst slows down rather than grows memory), and on Close. A failed
// write keeps the totals for the next one: nothing accepted is dropped.
type Recorder struct {
	store   Store
	maxKeys int
	onErr   func(error)

	mu      sync.Mutex
	pending map[dailyKey]*Daily

	flushMu sync.Mutex
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

type dailyKey struct {
	site, path string
	day        Day
}

// Defaults of NewRecorder.
const (
	DefaultFlushEvery = time.Second
	DefaultMaxKeys    = 10_000
)

// NewRecorder starts a Recorder writing to store every flushEvery (0: the
// default, 1s), with at most maxKeys totals waiting (0: 10000). onErr hears
// of failed background writes.
func NewRecorder(store Store, flushEvery time.Duration, maxKeys int, onErr func(error)) *Recorder {
	if flushEvery <= 0 {
		flushEvery = DefaultFlushEvery
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if onErr == nil {
		onErr = func(error) {}
	}
	r := &Recorder{store: store, maxKeys: maxKeys, onErr: onErr, pending: make(map[dailyKey]*Daily),
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop(flushEvery)
	return r
}

func (r *Recorder) loop(every time.Duration) {
	defer close(r.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			if err := r.Flush(context.Background()); err != nil {
				r.onErr(err)
			}
		}
	}
}

// Add counts one accepted report. When MaxKeys totals are waiting it
// writes them first; if that fails and twice MaxKeys are waiting, the
// report is refused with ErrUnavailable rather than held without bound.
func (r *Recorder) Add(ctx context.Context, site, path string, day Day, visibleMS int64) error {
	r.mu.Lock()
	full := len(r.pending) >= r.maxKeys
	r.mu.Unlock()
	if full {
		if err := r.Flush(ctx); err != nil {
			r.mu.Lock()
			over := len(r.pending) >= 2*r.maxKeys
			r.mu.Unlock()
			if over {
				return fmt.Errorf("%w: %v", ErrUnavailable, err)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := dailyKey{site: site, path: path, day: day}
	d := r.pending[k]
	if d == nil {
		d = &Daily{Site: site, Path: path, Day: day}
		r.pending[k] = d
	}
	d.VisibleMS += visibleMS
	d.Reports++
	return nil
}

// Flush writes the waiting totals now. On failure they are kept.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	batch := r.pending
	r.pending = make(map[dailyKey]*Daily, len(batch))
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := make([]Daily, 0, len(batch))
	for _, d := range batch {
		rows = append(rows, *d)
	}
	// A fixed order keeps concurrent writers' row locks in one order.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		return a.Path < b.Path
	})
	if err := r.store.Add(ctx, rows); err != nil {
		r.mu.Lock()
		for k, d := range batch {
			if p := r.pending[k]; p != nil {
				p.VisibleMS += d.VisibleMS
				p.Reports += d.Reports
			} else {
				r.pending[k] = d
			}
		}
		r.mu.Unlock()
		return fmt.Errorf("attention: writing %d totals: %w", len(rows), err)
	}
	return nil
}

// Close stops the background writes and writes what is waiting.
func (r *Recorder) Close() error {
	r.once.Do(func() { close(r.stop) })
	<-r.done
	return r.Flush(context.Background())
}
