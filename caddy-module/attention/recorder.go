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
// one write per batch, not one per report. A batch holds at most maxBatch
// reports: a flood is written as several transactions, one after another,
// so that none holds the database (SQLite's one writer, PostgreSQL's row
// locks) long against the meter's writes.
//
// A report whose write fails is not counted (Add returns an error matching
// ErrUnavailable and the client may send it again); nothing is kept in
// memory that a crash could lose.
type Recorder struct {
	store Store
	onErr func(error)

	mu     sync.Mutex
	full   []*batch // batches at maxBatch, oldest first, written before open
	open   *batch   // the batch taking reports
	closed bool

	flushMu sync.Mutex // held while a batch is written
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	commits, committed atomic.Int64 // transactions and reports written, for the benchmark's batch size
	expect             atomic.Int64 // reports the next batch should gather (see gatherStep)
}

// maxBatch is the most reports one transaction holds.
const maxBatch = 256

type dailyKey struct {
	site, path string
	day        Day
}

// batch is what one transaction writes, and its outcome, shared by its
// reports: done is closed once err is set.
type batch struct {
	daily   map[dailyKey]*Daily
	rounds  map[pageRoundKey]*PageRound
	reports int64 // reports waiting on it
	done    chan struct{}
	err     error
}

func newBatch() *batch {
	return &batch{daily: make(map[dailyKey]*Daily), rounds: make(map[pageRoundKey]*PageRound), done: make(chan struct{})}
}

// NewRecorder starts a Recorder writing to store. onErr, if not nil, hears
// of failed writes (the reports of a failed write are refused to their
// senders as well).
func NewRecorder(store Store, onErr func(error)) *Recorder {
	if onErr == nil {
		onErr = func(error) {}
	}
	r := &Recorder{store: store, onErr: onErr, open: newBatch(),
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
			for more := true; more; {
				select {
				case <-r.stop: // Close writes the rest
					return
				default:
				}
				if r.waiting() == 0 {
					r.gather()
				}
				var err error
				if more, err = r.writeOne(context.Background()); err != nil {
					r.onErr(err)
				}
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
// short costs another commit. A full batch does not wait.
const (
	gatherStep = 50 * time.Microsecond
	gatherMax  = time.Millisecond
)

// gather waits while the open batch still grows, or holds fewer reports
// than expected (see gatherStep).
func (r *Recorder) gather() {
	deadline := time.Now().Add(gatherMax)
	expect := min(r.expect.Load(), maxBatch)
	n := r.opened()
	for n < maxBatch && time.Now().Before(deadline) {
		time.Sleep(gatherStep)
		m := r.opened()
		if m == n && m >= expect {
			return
		}
		n = m
	}
}

// opened is the number of reports in the open batch.
func (r *Recorder) opened() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.open.reports
}

// waiting is the number of reports in full batches, waiting to be written.
func (r *Recorder) waiting() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, b := range r.full {
		n += b.reports
	}
	return n
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
	b := r.open
	if b.reports >= maxBatch {
		r.full = append(r.full, b)
		b = newBatch()
		r.open = b
	}
	k := dailyKey{site: site, path: path, day: day}
	d := b.daily[k]
	if d == nil {
		d = &Daily{Site: site, Path: path, Day: day}
		b.daily[k] = d
	}
	d.VisibleMS += visibleMS
	d.Reports++
	b.reports++
	if paid != nil {
		b.addRound(PageRound{Site: site, Session: paid.Session, Round: paid.Round, Path: path, VisibleMS: visibleMS, Reports: 1})
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
		r.open.addRound(PageRound{Site: pr.Site, Session: pr.Session, Round: pr.Round, Path: pr.Path, Bytes: pr.Bytes})
	}
	r.mu.Unlock()
	r.wake()
}

// addRound adds p to the batch; the Recorder's mu is held.
func (b *batch) addRound(p PageRound) {
	k := pageRoundKey{site: p.Site, session: p.Session, path: p.Path, round: p.Round}
	if q := b.rounds[k]; q != nil {
		q.VisibleMS += p.VisibleMS
		q.Reports += p.Reports
		q.Bytes += p.Bytes
		return
	}
	b.rounds[k] = &p
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

// Flush writes the reports waiting now, in as many batches as they fill,
// and reports each batch's outcome to the reports waiting on it. A failed
// batch is dropped: its reports were not acknowledged. It returns the
// first batch's error.
func (r *Recorder) Flush(ctx context.Context) error {
	var first error
	for more := true; more; {
		var err error
		more, err = r.writeOne(ctx)
		if first == nil {
			first = err
		}
	}
	return first
}

// writeOne writes the oldest batch waiting (a full one, else the open
// one) and says whether more reports are waiting after it.
func (r *Recorder) writeOne(ctx context.Context) (more bool, err error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	b := r.open
	if len(r.full) > 0 {
		b, r.full = r.full[0], r.full[1:]
	} else {
		r.open = newBatch()
	}
	r.mu.Unlock()
	err = r.write(ctx, b)
	close(b.done)
	r.mu.Lock()
	more = len(r.full) > 0 || r.open.reports > 0 || len(r.open.rounds) > 0
	r.mu.Unlock()
	return more, err
}

// write writes b in one transaction and sets its outcome.
func (r *Recorder) write(ctx context.Context, b *batch) error {
	if len(b.daily) == 0 && len(b.rounds) == 0 {
		return nil
	}
	rows := make([]Daily, 0, len(b.daily))
	for _, d := range b.daily {
		rows = append(rows, *d)
	}
	// A fixed order keeps concurrent writers' row locks in one order.
	sort.Slice(rows, func(i, j int) bool {
		x, y := rows[i], rows[j]
		if x.Site != y.Site {
			return x.Site < y.Site
		}
		if x.Day != y.Day {
			return x.Day < y.Day
		}
		return x.Path < y.Path
	})
	prs := make([]PageRound, 0, len(b.rounds))
	for _, p := range b.rounds {
		prs = append(prs, *p)
	}
	sort.Slice(prs, func(i, j int) bool {
		x, y := prs[i], prs[j]
		if x.Site != y.Site {
			return x.Site < y.Site
		}
		if x.Session != y.Session {
			return x.Session < y.Session
		}
		if x.Round != y.Round {
			return x.Round < y.Round
		}
		return x.Path < y.Path
	})
	if err := r.store.Add(ctx, rows, prs); err != nil {
		b.err = fmt.Errorf("attention: writing %d totals and %d session rounds: %w", len(rows), len(prs), err)
		return b.err
	}
	r.commits.Add(1)
	r.committed.Add(b.reports)
	r.expect.Store(b.reports + r.opened()) // before b's reports are answered
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
