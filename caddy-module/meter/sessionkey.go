package meter

import (
	"fmt"
	"strings"

	"github.com/torplus/torplus/caddy-module/identity"
)

// sessionKey is the key a zone's session is stored under: the zone, then
// the client's identity. The same visitor in two zones (sites) of one
// store is two sessions, with their own bytes, free round, payment
// requests and credits. It is the only place the key is made.
func sessionKey(zone string, k identity.Key) string { return zone + "/" + k.String() }

// parseSessionKey reads a key made by sessionKey for zone back into the
// identity; a key of another zone is an error.
func parseSessionKey(zone, key string) (identity.Key, error) {
	rest, ok := strings.CutPrefix(key, zone+"/")
	if !ok {
		return identity.Key{}, fmt.Errorf("%w: %q is not a session of zone %q", identity.ErrBadKey, key, zone)
	}
	return identity.ParseKey(rest)
}
