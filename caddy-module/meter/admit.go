package meter

import (
	"context"
	"net/http"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// admit makes the session of a client seen for the first time (in memory
// and in the store). A session token first seen on a tor circuit shares
// that circuit's free round: it takes what is left of it, so a fresh token
// per request is never a fresh round. When max_sessions is full, never-paid
// sessions are evicted, oldest first; if none can be, the client gets a
// transient session (kept in the store, not in memory) with no free bytes,
// so it is still asked for payment rather than turned away.
func (h *Handler) admit(ctx context.Context, r *http.Request, key identity.Key, now time.Time) (s *session, err error) {
	ns := now.UnixNano()
	if !h.st.makeRoom(h.MaxSessions) {
		s = transientSession(newSession(ns, 0))
		h.st.queueSession(key, s.snapshot())
		return s, nil
	}
	free := h.freeSize
	var circ *session
	if key.Kind == identity.KindSession && free > 0 {
		if ck, ok := identity.CircuitOf(r); ok {
			if circ, err = h.st.load(ctx, ck); err != nil {
				return nil, err
			}
			switch {
			case circ == nil && !h.st.makeRoom(h.MaxSessions):
				free = 0 // no room to track the circuit: no free round to share
			case circ == nil:
				circ = h.st.add(ck, newSession(ns, free), now)
			case circ.transient: // not shared: nothing can be taken from it
				circ, free = nil, 0
			}
			if circ != nil {
				h.st.lease(ctx, ck, circ, free) // with replicas, what is left is what the store still holds
				free = circ.takeFree()
			}
		}
	}
	s = newSession(ns, free)
	if got := h.st.add(key, s, now); got != s { // a concurrent request made it first
		if circ != nil {
			circ.release(free, 0)
		}
		return got, nil
	}
	if circ != nil {
		circ.release(free, free) // handed over: counted as the circuit's
		circ.changed()
	}
	return s, nil
}

// add stores a new session made at now, recording its free round.
func (st *state) add(k identity.Key, s *session, now time.Time) *session {
	if st.leasing {
		s.startLeasing()
	}
	got := st.table.add(k, s)
	if got == s && s.free > 0 {
		st.store.QueueRound(store.Round{Session: sessionKey(st.name, k), N: 1, Bytes: s.free, Free: true, StartedAt: now})
	}
	return got
}
