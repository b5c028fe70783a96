package meter

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// Response headers the meter sets.
const (
	// RemainingHeader tells the bytes left in the allowance before this response.
	RemainingHeader = "TorPlus-Remaining"
)

// remainingKey is RemainingHeader in canonical form, set without
// re-canonicalising on every request.
var remainingKey = http.CanonicalHeaderKey(RemainingHeader)

// powKey is PoWHeader in canonical form, read before Identify removes it.
var powKey = http.CanonicalHeaderKey(PoWHeader)

// cacheConnections makes the HTTP server being provisioned (if any) keep
// each connection's parsed remote address, so identity.Identify parses a
// circuit's PROXY address once per connection rather than per request.
func cacheConnections(ctx caddy.Context) {
	if srv, ok := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); ok {
		srv.RegisterConnContext(identity.WithConnCache)
	}
}

// ServeHTTP identifies the client, decides by its round state, and serves
// the request through a byte-counting writer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	var stamp string // Identify removes the stamp's header from r
	if v := r.Header[powKey]; len(v) > 0 {
		stamp = v[0]
	}
	var cookie *http.Cookie
	if wantsCookie(r) {
		cookie = identity.NewCookie()
		identity.UseCookie(r, cookie) // the first page already counts in the cookie's session
	}
	key, err := identity.Identify(r, h.AllowClearnet)
	switch {
	case errors.Is(err, identity.ErrClearnetDenied):
		return h.deny(w, http.StatusForbidden, "This site is served only over Tor; open its .onion address in Tor Browser.")
	case errors.Is(err, identity.ErrBadToken):
		return h.deny(w, http.StatusBadRequest, "The TorPlus-Session header must be 32 random bytes, base64url-encoded.")
	case err != nil:
		return err
	}
	if cookie != nil {
		http.SetCookie(w, cookie)
	}
	if r.URL.Path == h.payPath {
		return h.servePayment(w, r, key)
	}
	now := h.st.now()
	s, err := h.st.load(r.Context(), key)
	if err != nil {
		return caddyhttp.Error(http.StatusServiceUnavailable, err)
	}
	if s == nil {
		if h.PoWDifficulty > 0 {
			if err := checkStamp(h.st.secret, key, now, h.PoWDifficulty, stamp); err != nil {
				h.st.metrics.powDenied.Inc()
				return h.askForWork(w, key, now, err)
			}
		}
		if s, err = h.admit(r.Context(), r, key, now); err != nil {
			return caddyhttp.Error(http.StatusServiceUnavailable, err)
		}
	}
	if answered, err := h.takeCredential(w, r, key, s, now); answered {
		return err
	}
	if s.transient { // no room in memory: no bytes, but a payment request
		return h.refuse(w, r, key, s, now, 0)
	}
	return h.serve(w, r, next, key, s, now)
}

// wantsCookie reports whether the response to r sets a session cookie: a
// browser (it asks for HTML: the page load that comes first) that sent no
// token. API clients send TorPlus-Session and get none.
func wantsCookie(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") && identity.WantsCookie(r)
}

// serve answers a request of a known session by its round state: at full
// speed, with the next payment request, throttled, or 402.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, key identity.Key, s *session, now time.Time) error {
	ns := now.UnixNano()
	before := s.seen(ns)
	if h.st.leasing {
		h.st.lease(r.Context(), key, s, leaseChunk)
	}
	if h.Upgrades == UpgradesRefuse && r.Header.Get("Upgrade") != "" {
		return h.deny(w, http.StatusForbidden, "This site does not serve upgraded connections (WebSocket).")
	}
	if s.inFreeRound() && !h.st.budget.available(now) {
		return h.refuse(w, r, key, s, now, h.st.budget.retryAfter(now))
	}
	action := s.decide(ns, h.policy)
	if action == Refuse && h.paidElsewhere(r.Context(), key, s, ns) {
		action = s.decide(ns, h.policy)
	}
	if action == Refuse {
		return h.refuse(w, r, key, s, now, 0)
	}
	w.Header()[remainingKey] = []string{strconv.FormatInt(max(s.remaining(), 0), 10)}
	if action != Serve {
		h.offer(w.Header(), r, h.request(r, key, s, now), now, "")
	}
	if action == Throttle {
		h.st.metrics.throttles.Inc()
		h.pollPayment(key, s, ns)
	}
	mw := &meteredWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, s: s, h: h, ctx: r.Context(), key: key}
	err := next.ServeHTTP(mw, r)
	h.st.metrics.freeBytes.Add(float64(mw.free))
	h.st.metrics.bytes.Add(float64(mw.n))
	if mw.n > 0 || mw.tunnel != nil || newSeenGrain(before, ns) {
		s.changed()
	}
	if mw.tunnel != nil { // hijacked: the meter closed it if it had to, nothing left to abort
		if mw.cut != nil {
			h.log.Debug("closed upgraded connection", zap.Stringer("client", key), zap.Error(mw.cut))
		}
		return err
	}
	if errors.Is(err, ErrGraceOver) || errors.Is(err, ErrFreeBudgetSpent) {
		h.log.Debug("cut response", zap.Stringer("client", key), zap.Error(err))
		// Abort rather than end the response: a chunked body ended
		// cleanly would look whole to the client.
		panic(http.ErrAbortHandler)
	}
	return err
}

// request returns the session's outstanding payment request, issuing one
// (and queueing it to the store, as this zone's) if needed.
func (h *Handler) request(r *http.Request, key identity.Key, s *session, now time.Time) payreq.Request {
	id, expires, issued := s.outstanding(now.UnixNano(), h.policy, func() [32]byte { return payreq.NewID() })
	pr := payreq.New(id, h.terms, h.callback(r), time.Unix(0, expires).Add(-h.policy.prTTL))
	if issued {
		h.st.metrics.issued.Inc()
		h.st.store.QueuePaymentRequest(store.PaymentRequest{Request: pr, Zone: h.Zone,
			Session: sessionKey(h.Zone, key), CreatedAt: now.UTC(), State: store.Pending})
	}
	return pr
}

// callback is the absolute URL of the payment endpoint for r.
func (h *Handler) callback(r *http.Request) string {
	if strings.Contains(h.PaymentEndpoint, "://") {
		return h.PaymentEndpoint
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.PaymentEndpoint
}

// pollEvery is the least time between two ledger checks of one session
// for a payment recorded elsewhere (another replica).
const pollEvery = time.Second

// paidElsewhere checks the ledger, at most once per pollEvery, for credits
// recorded by another replica before a session is refused (the client is
// waiting for a 402 anyway), and reports whether the allowance grew.
func (h *Handler) paidElsewhere(ctx context.Context, key identity.Key, s *session, now int64) bool {
	if !s.pollDue(now, pollEvery) {
		return false
	}
	before := s.remaining()
	h.st.refresh(ctx, key, s)
	return s.remaining() > before
}

// pollPayment checks the ledger, in the background and at most once per
// pollEvery, for credits of a session that is past its allowance.
func (h *Handler) pollPayment(key identity.Key, s *session, now int64) {
	if !s.pollDue(now, pollEvery) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.st.refresh(ctx, key, s)
	}()
}
