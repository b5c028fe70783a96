package resolver

import (
	"errors"
	"fmt"

	"github.com/torplus/torplus/internal/onion"
)

// Errors a lookup, verification or publication can end in. Invalid onion
// ids (in a record or given by the caller) wrap onion.ErrInvalidID instead.
var (
	// ErrNoRecord: the name has no TorPlus record (no TXT "torplus=…",
	// an unregistered ENS name, no resolver, an empty or non-onion contenthash).
	ErrNoRecord = errors.New("no torplus record")
	// ErrMultipleRecords: the name has several torplus= TXT records; picking
	// one would be a guess.
	ErrMultipleRecords = errors.New("several torplus records")
	// ErrMismatch: the record names another onion id than the expected one.
	ErrMismatch = errors.New("record does not match")
	// ErrDNSSEC is wrapped by ErrBogus and ErrNotValidated.
	ErrDNSSEC = errors.New("dnssec")
	// ErrBogus: DNSSEC validation failed (bad signature, wrong anchor, …).
	ErrBogus = fmt.Errorf("%w: bogus", ErrDNSSEC)
	// ErrNotValidated: validation was required but the answer was not
	// validated (no AD bit from the resolver, or nothing to validate with).
	ErrNotValidated = fmt.Errorf("%w: not validated", ErrDNSSEC)
	// ErrLookup: the query itself failed (network, server failure, RPC error).
	ErrLookup = errors.New("lookup failed")
	// ErrUsage: the request cannot be carried out as given (bad name, missing
	// configuration such as an RPC URL for an .eth name).
	ErrUsage = errors.New("bad request")
	// ErrRefused: the server or the chain refused a publication (bad TSIG
	// key, not the owner of the name, reverted transaction).
	ErrRefused = errors.New("publication refused")
)

// Outcome sorts an error into the classes the command line reports as exit
// codes and the HTTP API as codes. Its value is the exit code.
type Outcome int

// Outcomes, with their exit codes.
const (
	OK              Outcome = 0 // record found (and matching, for verify)
	LookupFailed    Outcome = 1 // ErrLookup, and anything unexpected
	Usage           Outcome = 2 // ErrUsage: bad arguments or configuration
	NoRecord        Outcome = 3 // ErrNoRecord
	Mismatch        Outcome = 4 // ErrMismatch
	InvalidID       Outcome = 5 // onion.ErrInvalidID, malformed contenthash
	DNSSECFailed    Outcome = 6 // ErrBogus, ErrNotValidated
	MultipleRecords Outcome = 7 // ErrMultipleRecords
	Refused         Outcome = 8 // ErrRefused: a publication was refused
)

var outcomeNames = map[Outcome]string{
	OK: "ok", LookupFailed: "lookup-failed", Usage: "usage", NoRecord: "no-record",
	Mismatch: "mismatch", InvalidID: "invalid-onion-id", DNSSECFailed: "dnssec",
	MultipleRecords: "multiple-records", Refused: "refused",
}

// String is the outcome's stable name, used as "result" in JSON output.
func (o Outcome) String() string { return outcomeNames[o] }

// OutcomeOf classifies err; nil is OK.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, ErrUsage):
		return Usage
	case errors.Is(err, ErrRefused):
		return Refused
	case errors.Is(err, ErrDNSSEC):
		return DNSSECFailed
	case errors.Is(err, ErrMultipleRecords):
		return MultipleRecords
	case errors.Is(err, ErrMismatch):
		return Mismatch
	case errors.Is(err, onion.ErrInvalidID), errors.Is(err, onion.ErrContentHashForm):
		return InvalidID
	case errors.Is(err, ErrNoRecord):
		return NoRecord
	default:
		return LookupFailed
	}
}
