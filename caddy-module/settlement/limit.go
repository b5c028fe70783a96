package settlement

import (
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Limits bound the payments that fail verification, so that forged
// envelopes cannot buy ed25519 checks in bulk: past PerRequest failures for
// one payment request, or PerClient from one client, within Window, further
// payments are refused (429) without being verified until the window ends.
type Limits struct {
	// PerRequest failures per payment request (default 5).
	PerRequest int `json:"per_request,omitempty"`
	// PerClient failures per client identity (default 20).
	PerClient int `json:"per_client,omitempty"`
	// Window is the period failures are counted over (default 1m).
	Window caddy.Duration `json:"window,omitempty"`
}

func (l Limits) withDefaults() Limits {
	if l.PerRequest <= 0 {
		l.PerRequest = 5
	}
	if l.PerClient <= 0 {
		l.PerClient = 20
	}
	if l.Window <= 0 {
		l.Window = caddy.Duration(time.Minute)
	}
	return l
}

// maxTracked bounds the keys the limiter remembers. When full even after
// forgetting windows that ended, every payment is refused until one ends:
// a flood of fresh identities fails closed rather than growing memory.
const maxTracked = 100_000

type window struct {
	start time.Time
	n     int
}

// limiter counts failures in fixed windows per request id and per client.
type limiter struct {
	l  Limits
	mu sync.Mutex
	m  map[string]*window
}

func newLimiter(l Limits) *limiter { return &limiter{l: l, m: make(map[string]*window)} }

func requestKey(id payreq.ID) string { return "request " + id.String() }
func clientKey(c string) string      { return "client " + c }

// limited reports whether a payment for id from client must be refused
// unverified, and for how long.
func (l *limiter) limited(id payreq.ID, client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxTracked {
		l.prune(now)
		if len(l.m) >= maxTracked {
			return time.Duration(l.l.Window), true
		}
	}
	var wait time.Duration
	for key, most := range map[string]int{requestKey(id): l.l.PerRequest, clientKey(client): l.l.PerClient} {
		if w := l.m[key]; w != nil && now.Sub(w.start) < time.Duration(l.l.Window) && w.n >= most {
			wait = max(wait, w.start.Add(time.Duration(l.l.Window)).Sub(now))
		}
	}
	return wait, wait > 0
}

// failed counts one failed verification for id and client.
func (l *limiter) failed(id payreq.ID, client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range []string{requestKey(id), clientKey(client)} {
		w := l.m[key]
		if w == nil || now.Sub(w.start) >= time.Duration(l.l.Window) {
			w = &window{start: now}
			l.m[key] = w
		}
		w.n++
	}
}

// prune forgets windows that ended; it runs under l.mu.
func (l *limiter) prune(now time.Time) {
	for k, w := range l.m {
		if now.Sub(w.start) >= time.Duration(l.l.Window) {
			delete(l.m, k)
		}
	}
}
