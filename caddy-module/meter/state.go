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

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// Clock tells the time; tests swap it to drive rounds and grace periods.
type Clock interface{ Now() time.Time }

// states holds each zone's state across config reloads, keyed by zone
// and ledger: a reload that moves a zone to another ledger starts afresh
// from that ledger.
var states = caddy.NewUsagePool()

func stateKey(zone, ledgerKey string) string { return zone + "\x00" + ledgerKey }

// state is what one metering zone keeps across config reloads: the
// sessions, the free-byte budget, the PoW secret, the metrics and the ledger.
type state struct {
	name    string
	table   *table
	budget  *budget
	secret  [32]byte // keys PoW challenges
	metrics *metrics
	store   *store.Store
	log     *zap.Logger

	clock  atomic.Pointer[Clock]
	mu     sync.Mutex
	policy *policy // of the latest provisioned handler, for the sweeper

	cancelCredit func()
	stop         chan struct{}
	done         chan struct{}
}

func (st *state) now() time.Time {
	if c := st.clock.Load(); c != nil {
		return (*c).Now()
	}
	return time.Now()
}

// setClock swaps the clock (tests); nil means the system clock.
func (st *state) setClock(c Clock) {
	if c == nil {
		st.clock.Store(nil)
		return
	}
	st.clock.Store(&c)
}

func (st *state) currentPolicy() *policy {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.policy
}

// acquireState returns the zone's state, creating it on first use.
func acquireState(ctx caddy.Context, zone string, lcfg store.Config, p *policy, freePerMinute int64, log *zap.Logger) (*state, error) {
	lkey, err := lcfg.Key()
	if err != nil {
		return nil, err
	}
	v, _, err := states.LoadOrNew(stateKey(zone, lkey), func() (caddy.Destructor, error) {
		l, err := store.Acquire(ctx, lcfg, func(err error) { log.Error("store write", zap.Error(err)) })
		if err != nil {
			return nil, err
		}
		st := &state{
			name: zone, table: newTable(), store: l, log: log,
			metrics: newMetrics(zone), stop: make(chan struct{}), done: make(chan struct{}), policy: p,
		}
		st.budget = newBudget(freePerMinute, time.Now())
		rand.Read(st.secret[:])
		st.cancelCredit = l.OnCredit(st.credited)
		go st.sweeper()
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	st := v.(*state)
	st.mu.Lock()
	st.policy = p
	st.mu.Unlock()
	st.budget.setRate(freePerMinute)
	return st, nil
}

// Destruct stops the sweeper, queues every session and releases the ledger.
func (st *state) Destruct() error {
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
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-st.stop:
			return
		case <-t.C:
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

// expireRequests moves overdue pending payment requests to expired.
func (st *state) expireRequests(ctx context.Context) {
	if err := st.store.Flush(ctx); err != nil {
		st.log.Error("store write", zap.Error(err))
	}
	if _, err := st.store.ExpirePending(ctx, st.now()); err != nil {
		st.log.Error("store expiry", zap.Error(err))
	}
}

// flushSessions queues changed sessions to the ledger and, if evict, drops
// sessions idle for longer than the policy's idle timeout (their state is
// queued first, so nothing is lost).
func (st *state) flushSessions(evict bool) {
	p := st.currentPolicy()
	now := st.now().UnixNano()
	var throttled int
	st.table.sweep(func(k identity.Key, s *session) bool {
		idle := now-s.lastSeen.Load() > int64(p.idle)
		if s.over() && !idle {
			throttled++
		}
		s.mu.Lock()
		dirty := s.dirty
		s.dirty = false
		first := s.firstSeen
		free := s.free
		s.mu.Unlock()
		if dirty || idle {
			st.store.QueueSession(store.Session{Key: sessionKey(st.name, k), FirstSeen: time.Unix(0, first).UTC(),
				LastSeen: time.Unix(0, s.lastSeen.Load()).UTC(), BytesServed: s.served.Load(), FreeBytes: free})
		}
		return evict && idle
	})
	st.metrics.throttled.Set(float64(throttled))
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
	s := newSession(row.FirstSeen.UnixNano(), row.FreeBytes)
	s.dirty = false
	s.served.Store(row.BytesServed)
	s.allowed.Store(row.FreeBytes + credited)
	s.lastSeen.Store(st.now().UnixNano())
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
	s.mu.Lock()
	before, prID := s.rounds, s.pr
	s.mu.Unlock()
	if added := s.setCredited(credited, p); added > 0 {
		now := st.now()
		for i := int32(1); i <= added; i++ {
			st.store.QueueRound(store.Round{Session: sessionKey(st.name, k), N: int(before + i), Bytes: p.round,
				PaymentRequest: prID, StartedAt: now})
		}
	}
}
