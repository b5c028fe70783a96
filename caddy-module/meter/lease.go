package meter

import (
	"context"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// Leases: replicas (Onionbalance instances) on one PostgreSQL store each
// keep a session in memory, so each would serve the whole allowance. With
// a shared store, a session may serve only what it leased from the
// database (store.Leaser: one locked transaction per lease, reading the
// credits themselves), leaseChunk at a time, and gives back what it did not
// serve once idle for leaseIdle: together the replicas serve at most the
// free round plus the credits. A replica that dies strands at most the
// unserved part of its leases.

// leaseChunk is how much a session leases at a time: one chunk. Each lease
// is a database transaction (a 50 MB round costs about 800 of them, a few
// milliseconds each), and what a replica leased but has not served yet is
// what the other replicas cannot serve: a visitor's circuits land on every
// replica, so a bigger lease would let the first replica hold a whole small
// round while the others answer 402 (compose/composetest.TestScaledOnionbalance).
const leaseChunk = reserveChunk

// leaseIdle is how long a session goes without requests before its
// unserved lease goes back to the store, for another replica to serve.
const leaseIdle = 5 * time.Second

// leasesFor reports whether sessions over a store of cfg lease their
// allowance: a PostgreSQL store is the one replicas share.
func leasesFor(cfg store.Config) bool { return cfg.Driver == "postgres" }

// startLeasing puts a new or restored session in lease mode: it may serve
// nothing beyond what it has already served until it leases.
func (s *session) startLeasing() { s.leased.Store(s.reserved.Load()) }

// leaseWanted returns how much more a session should lease: none unless it
// is leasing and has less than half a chunk leased ahead of what it uses.
func (s *session) leaseWanted(want int64) int64 {
	l := s.leased.Load()
	if l == math.MaxInt64 || l-s.reserved.Load() >= want/2 || s.allowed.Load() <= l {
		return 0
	}
	return want
}

// addLease adds n leased bytes.
func (s *session) addLease(n int64) { s.leased.Add(n) }

// returnLease takes back the leased bytes not reserved and returns how
// many: they are reserved first, so no response can be granted them while
// the lease shrinks.
func (s *session) returnLease() int64 {
	if s.leased.Load() == math.MaxInt64 {
		return 0
	}
	g := s.reserve(math.MaxInt64)
	s.leased.Add(-g)
	s.reserved.Add(-g)
	return g
}

// lease tops up the session's lease by up to want bytes when it runs low.
func (st *state) lease(ctx context.Context, k identity.Key, s *session, want int64) {
	if want = s.leaseWanted(want); want == 0 {
		return
	}
	g, err := st.store.Lease(ctx, sessionKey(st.name, k), s.free, want)
	if err != nil {
		st.log.Error("store lease", zap.Error(err))
		return
	}
	s.addLease(g)
}

// takeBack takes back a session's unserved lease (session.returnLease)
// and adds it to back, for giveBack.
func (st *state) takeBack(back []store.LeaseReturn, k identity.Key, s *session) []store.LeaseReturn {
	if g := s.returnLease(); g > 0 {
		back = append(back, store.LeaseReturn{Session: sessionKey(st.name, k), Bytes: g})
	}
	return back
}

// giveBack returns the unserved leases takeBack took to the store, in
// batches: never one transaction per session, and never while a shard of
// the table is locked (a request of that shard would wait for the
// database).
func (st *state) giveBack(ctx context.Context, back []store.LeaseReturn) {
	if len(back) == 0 {
		return
	}
	if err := st.store.ReturnLeases(ctx, back); err != nil {
		st.log.Error("store lease return", zap.Error(err))
	}
}
