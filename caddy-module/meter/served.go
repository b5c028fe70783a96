package meter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/store"
)

// ErrNotServed means the zone has never served the client: handlers that
// trust only clients the meter knows (attention reports) refuse it.
var ErrNotServed = errors.New("meter: this client has not been served by the zone")

// ErrNoZone means no metering zone of that name runs on that store.
var ErrNoZone = errors.New("meter: no such metering zone")

// Served is what a zone knows of one client, for the handlers after the
// meter that must bind their own state to the meter's identity.
type Served struct {
	// Session is the key the store keeps the client's session, rounds and
	// payment requests under (store.Session.Key, store.Round.Session,
	// store.PaymentRequest.Session).
	Session string
	// First is when the zone first served the client.
	First time.Time
	// Round is the store round number (store.Round.N) the client is using
	// now: 1 is the free first round (or, with no free round, the slot it
	// would take), 2 the first paid round, and so on.
	Round int
	// Paid tells that Round is a paid round with allowance left: bytes
	// sent now are bought by a payment.
	Paid bool
}

// Lookup returns what the zone called zone, on the store cfg, knows of
// key: from memory, else from the store (a client evicted or seen before
// a restart). It is ErrNoZone when no such zone runs and ErrNotServed when
// the zone has never served key.
func Lookup(ctx context.Context, zone string, cfg store.Config, key identity.Key) (Served, error) {
	if zone == "" {
		zone = "default"
	}
	lkey, err := cfg.Key()
	if err != nil {
		return Served{}, err
	}
	v, ok := running.Load(stateKey(zone, lkey))
	if !ok {
		return Served{}, fmt.Errorf("%w: %q", ErrNoZone, zone)
	}
	st := v.(*state)
	s, err := st.load(ctx, key)
	if err != nil {
		return Served{}, err
	}
	if s == nil {
		return Served{}, ErrNotServed
	}
	snap := s.snapshot()
	return Served{Session: sessionKey(st.name, key), First: time.Unix(0, snap.FirstSeen),
		Round: roundOf(snap.Served, snap.Free, st.currentPolicy().round),
		Paid:  snap.Served >= snap.Free && snap.Served < snap.Allowed}, nil
}

// roundOf is the store round number of the byte at offset served, with a
// free first round of free bytes and paid rounds of round bytes.
func roundOf(served, free, round int64) int {
	if served < free || round <= 0 {
		return 1
	}
	return 2 + int((served-free)/round)
}
