package simledger

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrMalformed means the submission is not a decodable envelope
	// (Horizon answers it with transaction_malformed, no result codes).
	ErrMalformed = errors.New("simledger: malformed transaction")
	// ErrRejected is wrapped by every *Rejection.
	ErrRejected = errors.New("simledger: transaction rejected")
)

// Codes are Horizon's result codes: the transaction's ("tx_success",
// "tx_bad_seq", ...) and, for tx_failed, one per operation.
type Codes struct {
	Tx  string   `json:"transaction"`
	Ops []string `json:"operations,omitempty"`
}

// Rejection is the error for a transaction that did not succeed. It
// wraps ErrRejected.
type Rejection struct {
	Codes Codes
	// Hash is the transaction hash (hex); empty when it could not be computed.
	Hash string
	// Included is true for tx_failed: the ledger took the fee and the
	// sequence number, and the transaction is in its history.
	Included bool
	// Cause says why a Soroban invocation failed (ErrAuthMissing,
	// ErrNonceUsed, ...); nil otherwise.
	Cause error
}

func (r *Rejection) Error() string {
	if r.Cause != nil {
		return fmt.Sprintf("simledger: transaction rejected: %s (%s): %v", r.Codes.Tx, strings.Join(r.Codes.Ops, ", "), r.Cause)
	}
	if len(r.Codes.Ops) == 0 {
		return "simledger: transaction rejected: " + r.Codes.Tx
	}
	return fmt.Sprintf("simledger: transaction rejected: %s (%s)", r.Codes.Tx, strings.Join(r.Codes.Ops, ", "))
}

// Unwrap makes errors.Is(r, ErrRejected) hold, and errors.Is(r, cause).
func (r *Rejection) Unwrap() []error {
	if r.Cause != nil {
		return []error{ErrRejected, r.Cause}
	}
	return []error{ErrRejected}
}

func reject(tx string, ops ...string) *Rejection { return &Rejection{Codes: Codes{Tx: tx, Ops: ops}} }
