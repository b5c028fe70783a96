package resolver

import (
	"time"

	"github.com/torplus/torplus/internal/onion"
)

// Sources of a Result.
const (
	SourceDNS = "dns"
	SourceENS = "ens"
)

// DNSSEC states of a Result.
const (
	DNSSECNone          = "none"          // not checked (ENS, or DNS without --require-ad / --anchor)
	DNSSECAuthenticated = "authenticated" // the validating resolver set AD
	DNSSECValidated     = "validated"     // the chain from the anchor was checked here
)

// Result is what a lookup found. On ErrNoRecord a Result may still be
// returned, carrying the name and how long the absence may be cached.
type Result struct {
	Name   string        // the name queried: torplus.<domain>. or <name>.eth
	Source string        // SourceDNS or SourceENS
	ID     onion.ID      // the onion id in the record; empty when there is none
	TTL    time.Duration // how long the answer may be cached
	DNSSEC string        // one of the DNSSEC* states
}
