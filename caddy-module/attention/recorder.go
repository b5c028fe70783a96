package attention

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder adds accepted reports to per site, day and path totals in a
// Store with group commit: Add returns only once the report is in a
// committed transaction, so an acknowledged report survives a crash of the
// process the next instant. Reports that arrive while one transaction is
// being written wait together and go into the next one, so a burst costs
// one write per batch, not one per report.
//
// A report whose write fails is not counted (Add returns an error matching
// ErrUnavailable and the client may send it again); nothing is kept in
// memory that a crash could lose.
type Recorder struct {
	store Store
	onErr func(error)

	mu      sync.Mutex
	pending map[dailyKey]*Daily // the open batch
	rounds  map[pageRoundKey]*PageRound
	batch   *batch // its outcome, shared by its reports
	closed  bool

	flushMu sync.Mutex // held while a batch is written
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	commits, committed atomic.Int64 // transactions and reports written, for the benchmark's batch size
	expect             atomic.Int64 // reports the next batch should gather (see gatherStep)
}

type dailyKey struct {
	site, path string
	day        Day
}

// batch is the outcome of one transaction: done is closed once err is set.
type batch struct {
	done    chan struct{}
	err     error
	reports int64 // reports waiting on it
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// NewRecorder starts a Recorder writing to store. onErr, if not nil, hears
// of failed writes (the reports of a failed write are refused to their
// senders as well).
func NewRecorder(store Store, onErr func(error)) *Recorder {
	if onErr == nil {
		onErr = func(error) {}
	}
	r := &Recorder{store: store, onErr: onErr, pending: make(map[dailyKey]*Daily),
		rounds: make(map[pageRoundKey]*PageRound), batch: newBatch(),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *Recorder) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.stop:
			return
		case <-r.kick:
			r.gather()
			if err := r.Flush(context.Background()); err != nil {
				r.onErr(err)
			}
		}
	}
}

// Group commit: before writing a batch the writer waits while reports keep
// arriving, gatherStep at a time and at most gatherMax in all, so that a
// busy site's reports share one commit rather than each pay for one (an
// fsync with SQLite's synchronous FULL, a round trip and a WAL flush with
// PostgreSQL). A lone report waits one step. A step without a new report
// ends the wait only once the batch holds as many reports as expected:
// those the last write answered (whose senders are a busy site's next
// reports) and those already waiting when it ended. On a machine short of
// CPU the senders come back with gaps longer than a step, and a batch cut
// short costs another commit.
const (
	gatherStep = 50 * time.Microsecond
	gatherMax  = time.Millisecond
	gatherFull = 1024 // reports that make a batch big enough not to wait
)

// gather waits while the open batch still grows, or holds fewer reports
// than expected (see gatherStep).
func (r *Recorder) gather() {
	deadline := time.Now().Add(gatherMax)
	expect := r.expect.Load()
	n := r.open()
	for n < gatherFull && time.Now().Before(deadline) {
		time.Sleep(gatherStep)
		m := r.open()
		if m == n && m >= expect {
			return
		}
		n = m
	}
}

// open is the number of reports in the open batch.
func (r *Recorder) open() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batch.reports
}

// Add counts one report in the day's totals and, if paid is not nil, in
// its session's paid round (paid.VisibleMS and paid.Reports are set from
// the report), and waits until it is committed. It returns an error
// matching ErrUnavailable when the write failed or the recorder is closed,
// and ctx's error when ctx ends first (the report may then still be
// written).
func (r *Recorder) Add(ctx context.Context, site, path string, day Day, visibleMS int64, paid *PageRound) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("%w: the recorder is closed", ErrUnavailable)
	}
	k := dailyKey{site: site, path: path, day: day}
	d := r.pending[k]
	if d == nil {
		d = &Daily{Site: site, Path: path, Day: day}
		r.pending[k] = d
	}
	d.VisibleMS += visibleMS
	d.Reports++
	b := r.batch
	b.reports++
	if paid != nil {
		r.addRound(PageRound{Site: site, Session: paid.Session, Round: paid.Round, Path: path, VisibleMS: visibleMS, Reports: 1})
	}
	r.mu.Unlock()
	r.wake()
	return b.wait(ctx)
}

// AddBytes counts bytes sent of a page in a session's paid round, without
// waiting for the commit (it is the fallback weight of a payment's split,
// recorded after the response; a crash may lose the latest batch).
func (r *Recorder) AddBytes(pr PageRound) {
	r.mu.Lock()
	if !r.closed {
		r.addRound(PageRound{Site: pr.Site, Session: pr.Session, Round: pr.Round, Path: pr.Path, Bytes: pr.Bytes})
	}
	r.mu.Unlock()
	r.wake()
}

// addRound adds p to the open batch; r.mu is held.
func (r *Recorder) addRound(p PageRound) {
	k := pageRoundKey{site: p.Site, session: p.Session, path: p.Path, round: p.Round}
	if q := r.rounds[k]; q != nil {
		q.VisibleMS += p.VisibleMS
		q.Reports += p.Reports
		q.Bytes += p.Bytes
		return
	}
	r.rounds[k] = &p
}

func (r *Recorder) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// wait waits for the batch's outcome.
func (b *batch) wait(ctx context.Context) error {
	select {
	case <-b.done:
		if b.err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, b.err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush writes the open batch now and reports its outcome to the reports
// waiting on it. A failed batch is dropped: its reports were not
// acknowledged.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	pending, rounds, b := r.pending, r.rounds, r.batch
	r.pending, r.rounds, r.batch = make(map[dailyKey]*Daily, len(pending)), make(map[pageRoundKey]*PageRound, len(rounds)), newBatch()
	r.mu.Unlock()
	defer close(b.done)
	if len(pending) == 0 && len(rounds) == 0 {
		return nil
	}
	rows := make([]Daily, 0, len(pending))
	for _, d := range pending {
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
	prs := make([]PageRound, 0, len(rounds))
	for _, p := range rounds {
		prs = append(prs, *p)
	}
	sort.Slice(prs, func(i, j int) bool {
		a, b := prs[i], prs[j]
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		if a.Session != b.Session {
			return a.Session < b.Session
		}
		if a.Round != b.Round {
			return a.Round < b.Round
		}
		return a.Path < b.Path
	})
	if err := r.store.Add(ctx, rows, prs); err != nil {
		b.err = fmt.Errorf("attention: writing %d totals and %d session rounds: %w", len(rows), len(prs), err)
		return b.err
	}
	r.commits.Add(1)
	r.committed.Add(b.reports)
	r.expect.Store(b.reports + r.open()) // before b's reports are answered
	return nil
}

// Close stops the background writer and writes what is waiting; later
// Adds are refused.
func (r *Recorder) Close() error {
	r.once.Do(func() { close(r.stop) })
	<-r.done
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return r.Flush(context.Background())
}
