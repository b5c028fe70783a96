package meter

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/torplus/torplus/caddy-module/identity"
)

const shards = 64 // must match the shift in table.shard (64 = 1<<(64-58))

// table holds the in-memory sessions, sharded to keep lock contention low.
type table struct {
	shards [shards]shard
	count  atomic.Int64
}

type shard struct {
	mu sync.RWMutex
	m  map[identity.Key]*session
}

func newTable() *table {
	t := new(table)
	for i := range t.shards {
		t.shards[i].m = make(map[identity.Key]*session)
	}
	return t
}

func (t *table) shard(k identity.Key) *shard {
	// Fold the id into 64 bits and take the top bits of a Fibonacci hash.
	le := binary.LittleEndian
	h := le.Uint64(k.ID[0:]) ^ le.Uint64(k.ID[8:]) ^ le.Uint64(k.ID[16:]) ^ le.Uint64(k.ID[24:]) ^ uint64(k.Kind)
	return &t.shards[(h*0x9E3779B97F4A7C15)>>58]
}

// get returns the session of k, or nil.
func (t *table) get(k identity.Key) *session {
	sh := t.shard(k)
	sh.mu.RLock()
	s := sh.m[k]
	sh.mu.RUnlock()
	return s
}

// add stores s under k unless a session is already there (made by a
// concurrent request), and returns the one stored.
func (t *table) add(k identity.Key, s *session) *session {
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[k]; ok {
		return old
	}
	sh.m[k] = s
	t.count.Add(1)
	return s
}

// len returns the number of sessions in memory.
func (t *table) len() int64 { return t.count.Load() }

// sweep calls f for every session, shard by shard; if f returns true the
// session is evicted.
func (t *table) sweep(f func(identity.Key, *session) (evict bool)) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, s := range sh.m {
			if f(k, s) {
				delete(sh.m, k)
				t.count.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
}

// removeIf removes the session of k if ok says so (checked under the
// shard's lock), and returns it; nil if it was not removed.
func (t *table) removeIf(k identity.Key, ok func(*session) bool) *session {
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := sh.m[k]
	if s == nil || !ok(s) {
		return nil
	}
	delete(sh.m, k)
	t.count.Add(-1)
	return s
}
