package meter

import (
	"context"
	"slices"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// evictBatch is the share of max_sessions evicted at once when the table
// is full (at least one): one scan of the table then pays for that many
// newcomers.
const evictBatch = 100

// makeRoom reports whether a new session may join a table of at most limit
// sessions, evicting never-paid sessions (oldest last request first) when
// it is full. Their rows are queued to the store first, so a client that
// comes back finds its spent free round, not a fresh one. Paid sessions
// and sessions with a response in flight are never evicted.
func (st *state) makeRoom(limit int64) bool {
	if st.table.len() < limit {
		return true
	}
	st.evictMu.Lock()
	defer st.evictMu.Unlock()
	if st.table.len() < limit { // another newcomer made room meanwhile
		return true
	}
	type cand struct {
		k    identity.Key
		seen int64
	}
	// Room for this newcomer and the circuit it came on, and for whatever
	// concurrent admissions pushed the table past its limit.
	n := int(max(limit/evictBatch, st.table.len()-limit+2))
	var oldest []cand // the n oldest so far, newest first
	st.table.sweep(func(k identity.Key, s *session) bool {
		if !s.evictable() {
			return false
		}
		seen := s.lastSeen.Load()
		if len(oldest) == n && seen >= oldest[0].seen {
			return false
		}
		i, _ := slices.BinarySearchFunc(oldest, seen, func(c cand, t int64) int {
			switch {
			case c.seen > t:
				return -1
			case c.seen < t:
				return 1
			}
			return 0
		})
		oldest = slices.Insert(oldest, i, cand{k, seen})
		if len(oldest) > n {
			oldest = oldest[1:]
		}
		return false
	})
	var back []store.LeaseReturn
	for _, c := range oldest {
		if s := st.table.removeIf(c.k, (*session).evictable); s != nil {
			if st.leasing { // what it leased and did not serve goes back
				back = st.takeBack(back, c.k, s)
			}
			st.queueSession(c.k, s.snapshot())
			st.metrics.evicted.Inc()
		}
	}
	st.giveBack(context.Background(), back)
	// Written before anyone can come back: load must find the spent round.
	if err := st.store.Flush(context.Background()); err != nil {
		st.log.Error("store write", zap.Error(err))
	}
	return st.table.len() < limit
}
