package store

import (
	"context"
	"time"
)

// minRetainRun is the least time a retention run is given, however short
// its period: a loaded database may take seconds for one batch.
const minRetainRun = time.Minute

// retain starts the Store's one retention goroutine: every r.Every it
// runs Prune as of the wall clock, unless r.Off or the DB cannot prune.
// A run is bounded by r.Every, but by no less than minRetainRun (runs
// never overlap: ticks during a run are dropped). Errors go to onErr (if
// any); the next run tries again.
func (l *Store) retain(r Retention, onErr func(error)) {
	if _, ok := l.DB.(Pruner); !ok || r.Off {
		return
	}
	r = r.withDefaults()
	stop, cancel := context.WithCancel(context.Background())
	l.retainStop, l.retainDone = cancel, make(chan struct{})
	go func() {
		defer close(l.retainDone)
		tick := time.NewTicker(time.Duration(r.Every))
		defer tick.Stop()
		for {
			select {
			case <-stop.Done():
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(stop, max(time.Duration(r.Every), minRetainRun))
			_, err := l.Prune(ctx, r, time.Now())
			cancel()
			if err != nil && onErr != nil && stop.Err() == nil {
				onErr(err)
			}
		}
	}()
}

// stopRetention stops the retention goroutine (cancelling a run under
// way) and waits for it.
func (l *Store) stopRetention() {
	if l.retainStop == nil {
		return
	}
	l.retainStop()
	<-l.retainDone
	l.retainStop = nil
}
