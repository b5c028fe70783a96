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
	// First is when the zone first served the client.
	First time.Time
	// Round is the store round number (store.Round.N) the client is using
	// now: 1 is the free first round (or, with no free round, the slot it
	// would take), 2 the first paid round, and so on.
	Round int
	// Paid tells that Round is a paid round with allowance left: bytes
	// sent now are bought by a payment.
	Paid bool

	zone string
	key  identity.Key
}

// Session is the key the store keeps the client's session, rounds and
// payment requests under (store.Session.Key, store.Round.Session,
// store.PaymentRequest.Session). It is made when asked for: most lookups
// (reports of unpaid sessions) never need it.
func (s Served) Session() string { return sessionKey(s.zone, s.key) }

// Zone is a metering zone on a store, named once (ZoneOf) by the handlers
// after the meter that look its clients up on every request.
type Zone struct {
	name string
	key  string // its states and running key
}

// ZoneOf names the zone called zone ("" is "default") on the store cfg.
// It is not an error that the zone does not run (yet): Lookup tells.
func ZoneOf(zone string, cfg store.Config) (Zone, error) {
	if zone == "" {
		zone = "default"
	}
	lkey, err := cfg.Key()
	if err != nil {
		return Zone{}, err
	}
	return Zone{name: zone, key: stateKey(zone, lkey)}, nil
}

// Lookup returns what the zone knows of key: from memory, else from the
// store (a client evicted or seen before a restart). It is ErrNoZone when
// the zone does not run and ErrNotServed when it has never served key.
func (z Zone) Lookup(ctx context.Context, key identity.Key) (Served, error) {
	v, ok := running.Load(z.key)
	if !ok {
		return Served{}, fmt.Errorf("%w: %q", ErrNoZone, z.name)
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
	return Served{First: time.Unix(0, snap.FirstSeen), zone: st.name, key: key,
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
