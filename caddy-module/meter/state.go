package meter

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	ratelimit "golang.org/x/time/rate"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// states holds each zone's state across config reloads, keyed by zone
// and ledger: a reload that moves a zone to another ledger starts afresh
// from that ledger.
var states = caddy.NewUsagePool()

// running finds a zone's state by its stateKey without scanning the
// pool (Lookup, on every attention report): set when a state is made,
// removed when it is destroyed.
var running sync.Map // stateKey → *state

func stateKey(zone, ledgerKey string) string { return zone + "\x00" + ledgerKey }

// state is what one metering zone keeps across config reloads: the
// sessions, the free-byte budget, the PoW secret, the metrics and the ledger.
type state struct {
	name    string
	key     string // stateKey: its entry in running
	table   *table
	budget  *budget
	secret  [32]byte // keys PoW challenges
	metrics *metrics
	store   *store.Store
	log     *zap.Logger

	leasing bool // sessions lease their allowance from a store replicas share (lease.go)
	clk     atomic.Pointer[Clock]
	evictMu sync.Mutex             // one eviction scan at a time
	policy  atomic.Pointer[policy] // of the latest provisioned handler, for the sweeper and Lookup

	statusPolls *ratelimit.Limiter // status.go: store reads for payment-status polls

	cancelCredit func()
	stop         chan struct{}
	done         chan struct{}
}

// clock returns the zone's clock: the system's unless a test swapped it.
func (st *state) clock() Clock {
	if c := st.clk.Load(); c != nil {
		return *c
	}
	return SystemClock{}
}

func (st *state) now() time.Time { return st.clock().Now() }

// setClock swaps the clock (tests); nil means the system clock.
func (st *state) setClock(c Clock) {
	if c == nil {
		st.clk.Store(nil)
		return
	}
	st.clk.Store(&c)
}

func (st *state) currentPolicy() *policy { return st.policy.Load() }

// acquireState returns the zone's state, creating it on first use.
func acquireState(ctx caddy.Context, zone string, lcfg store.Config, p *policy, freePerMinute int64, log *zap.Logger) (*state, error) {
	lkey, err := lcfg.Key()
	if err != nil {
		return nil, err
	}
	key := stateKey(zone, lkey)
	v, _, err := states.LoadOrNew(key, func() (caddy.Destructor, error) {
		l, err := store.Acquire(ctx, lcfg, func(err error) { log.Error("store write", zap.Error(err)) })
		if err != nil {
			return nil, err
		}
		st := &state{
			name: zone, key: key, table: newTable(), store: l, log: log, leasing: leasesFor(lcfg),
			metrics: newMetrics(zone), stop: make(chan struct{}), done: make(chan struct{}),
			statusPolls: ratelimit.NewLimiter(statusPollsPerSecond, statusPollsBurst),
		}
		st.policy.Store(p)
		st.budget = newBudget(freePerMinute, st.now())
		rand.Read(st.secret[:])
		st.cancelCredit = l.OnCredit(st.credited)
		go st.sweeper()
		running.Store(key, st)
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	st := v.(*state)
	st.policy.Store(p)
	st.budget.setRate(freePerMinute)
	return st, nil
}

// Destruct stops the sweeper, queues every session and releases the ledger.
func (st *state) Destruct() error {
	running.CompareAndDelete(st.key, st) // a new state of the key may be made meanwhile
	st.cancelCredit()
	close(st.stop)
	<-st.done
	st.flushSessions(false)
	return st.store.Release()
}

// sweepEvery is how often sessions are written back and idle ones evicted.
var sweepEvery = 2 * time.Second

func (st *state) sweeper() {
	defer close(st.done)
	tick, stop := st.clock().NewTicker(sweepEvery)
	defer stop()
	for n := 1; ; n++ {
		select {
		case <-st.stop:
			return
		case <-tick:
			st.flushSessions(true)
			if n%expireEvery == 0 {
				st.expireRequests(context.Background())
			}
		}
	}
}

// expireEvery is how many sweeps pass between two expiries of overdue
// payment requests.
const expireEvery = 15

// expireRequests moves overdue pending payment requests to expired. The
// rows of sessions that never paid and are long gone are the store's
// retention's to delete (store.Retention.UnpaidAfter), not the meter's.
func (st *state) expireRequests(ctx context.Context) {
	if err := st.store.Flush(ctx); err != nil {
		st.log.Error("store write", zap.Error(err))
	}
	now := st.now()
	if _, err := st.store.ExpirePending(ctx, now); err != nil {
		st.log.Error("store expiry", zap.Error(err))
	}
}

// flushSessions queues changed sessions to the ledger and, if evict, drops
// sessions idle for longer than the policy's idle timeout (their state is
// queued first, so nothing is lost).
func (st *state) flushSessions(evict bool) {
	p := st.currentPolicy()
	now := st.now().UnixNano()
	if st.leasing { // given back before an idle session leaves memory below
		var back []store.LeaseReturn
		st.table.sweep(func(k identity.Key, s *session) bool {
			if !evict || s.idle(now, leaseIdle) {
				back = st.takeBack(back, k, s)
			}
			return false
		})
		st.giveBack(context.Background(), back)
	}
	var throttled int
	st.table.sweep(func(k identity.Key, s *session) bool {
		idle := s.idle(now, p.idle)
		if s.over() && !idle {
			throttled++
		}
		if snap, dirty := s.takeDirty(); dirty || idle {
			st.queueSession(k, snap)
		}
		return evict && idle
	})
	st.metrics.throttled.Set(float64(throttled))
}

// queueSession queues a session's row to the store.
func (st *state) queueSession(k identity.Key, snap snapshot) {
	st.store.QueueSession(store.Session{Key: sessionKey(st.name, k), FirstSeen: time.Unix(0, snap.FirstSeen).UTC(),
		LastSeen: time.Unix(0, snap.LastSeen).UTC(), BytesServed: snap.Served, FreeBytes: snap.Free})
}

// load returns the session of k from memory, else from the ledger (a
// client seen before its eviction or a restart), else nil.
func (st *state) load(ctx context.Context, k identity.Key) (*session, error) {
	if s := st.table.get(k); s != nil {
		return s, nil
	}
	key := sessionKey(st.name, k)
	row, err := st.store.Session(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	credited, err := st.store.CreditedBytes(ctx, st.name, key)
	if err != nil {
		return nil, err
	}
	s := restoredSession(row.FirstSeen.UnixNano(), row.FreeBytes, row.BytesServed, credited, st.now().UnixNano())
	if st.leasing {
		s.startLeasing()
	}
	if s.unpaid() && !st.makeRoom(st.currentPolicy().max) {
		return transientSession(s), nil // a paid session always comes back
	}
	return st.table.add(k, s), nil
}

// credited is told of every credit this process records: the session's
// allowance is set from the store's sum, so a repeated notice is harmless.
// Another zone's credit is not this zone's business.
func (st *state) credited(c store.Credit) {
	if c.Zone != st.name {
		return
	}
	k, err := parseSessionKey(st.name, c.Session)
	if err != nil {
		return
	}
	if s := st.table.get(k); s != nil {
		st.refresh(context.Background(), k, s)
	}
}

// refresh reads the credited bytes of a session from the ledger (which may
// have been credited by another replica) and applies them.
func (st *state) refresh(ctx context.Context, k identity.Key, s *session) {
	credited, err := st.store.CreditedBytes(ctx, st.name, sessionKey(st.name, k))
	if err != nil {
		st.log.Error("store read", zap.Error(err))
		return
	}
	p := st.currentPolicy()
	c := s.credit(credited, p)
	if st.leasing && c.added > 0 {
		st.lease(ctx, k, s, leaseChunk)
	}
	now := st.now()
	for i := range c.added {
		st.store.QueueRound(store.Round{Session: sessionKey(st.name, k), N: int(c.first + i), Bytes: p.round,
			PaymentRequest: c.pr, StartedAt: now})
	}
}
