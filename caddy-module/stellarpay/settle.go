package stellarpay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// Settler submits verified payments to a Stellar ledger.
type Settler interface {
	// Settle submits p. It returns a Receipt once the ledger applied the
	// transaction; an *Error matching ErrRejected when the ledger definitely
	// refused it (with the result codes); or one matching ErrUnavailable
	// when the ledger could not be reached in time, in which case the
	// transaction may still land and the same envelope may be settled again
	// later (a ledger never applies one transaction hash twice).
	Settle(ctx context.Context, p *Payment) (Receipt, error)
}

// Receipt records a settled payment.
type Receipt struct {
	// Hash is the transaction hash (hex).
	Hash string
	// Ledger is the number of the ledger that included it.
	Ledger uint32
	// AlreadyApplied is set when the ledger already held this transaction
	// (an earlier submission landed); it was not applied again.
	AlreadyApplied bool
}

// rejection classifies a ledger's result codes as an *Error matching
// ErrRejected and, where one fits, a finer kind.
func rejection(codes ResultCodes) *Error {
	e := &Error{Kind: ErrRejected, ResultCodes: &codes}
	all := append([]string{codes.Transaction}, codes.Operations...)
	for _, c := range all {
		switch c {
		case "tx_bad_seq":
			e.also = ErrBadSequence
		case "op_underfunded", "tx_insufficient_balance":
			e.also = ErrUnderfunded
		case "op_no_trust", "op_src_no_trust", "op_not_authorized", "op_src_not_authorized":
			e.also = ErrNoTrust
		case "tx_bad_auth", "tx_bad_auth_extra", "op_bad_auth":
			e.also = ErrBadAuth
		case "tx_too_late", "tx_too_early":
			e.also = ErrTooLate
		}
	}
	e.Message = "the ledger refused the payment: " + strings.Join(all, ", ")
	return e
}

// OfflineSettler settles payments on an in-process ledger: the embedded
// default for demos and development. Nothing leaves the process.
type OfflineSettler struct {
	// Ledger is the ledger payments are applied to.
	Ledger *simledger.Ledger
}

// NewOfflineSettler builds the ledger from g and a settler on it.
func NewOfflineSettler(g simledger.Genesis) (*OfflineSettler, error) {
	l, err := simledger.New(g, nil)
	if err != nil {
		return nil, err
	}
	return &OfflineSettler{Ledger: l}, nil
}

// Settle applies p to the ledger at once; it never answers ErrUnavailable.
func (o *OfflineSettler) Settle(ctx context.Context, p *Payment) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, &Error{Kind: ErrUnavailable, Message: "settlement cancelled", cause: err}
	}
	res, dup, err := o.Ledger.Submit(p.Envelope)
	var rej *simledger.Rejection
	switch {
	case errors.As(err, &rej):
		return Receipt{}, rejection(ResultCodes{Transaction: rej.Codes.Tx, Operations: rej.Codes.Ops})
	case err != nil:
		return Receipt{}, &Error{Kind: ErrRejected, Message: fmt.Sprintf("the ledger could not read the payment: %v", err), cause: err}
	}
	return Receipt{Hash: res.Hash, Ledger: res.Ledger, AlreadyApplied: dup}, nil
}

var _ Settler = (*OfflineSettler)(nil)

// Finder is a Settler that can tell whether its ledger holds a
// transaction: how a settlement interrupted by a crash is finished later.
type Finder interface {
	// Find looks the transaction with hash (hex) up. found reports that
	// the ledger holds it; err is then a refusal matching ErrRejected if
	// it was included but failed. An err matching ErrUnavailable means the
	// ledger could not be asked.
	Find(ctx context.Context, hash string) (r Receipt, found bool, err error)
}

// HistoryWindow is a Finder whose ledger keeps only recent history (a
// Stellar RPC's retention window, a week on SDF's, a day or less on some
// providers): a transaction in a ledger closed before OldestLedgerTime is
// not found even though it landed.
type HistoryWindow interface {
	// OldestLedgerTime is the close time of the oldest ledger kept; an
	// err matching ErrUnavailable means the ledger could not be asked.
	OldestLedgerTime(ctx context.Context) (time.Time, error)
}

// Find implements Finder on the in-process ledger.
func (o *OfflineSettler) Find(ctx context.Context, hash string) (Receipt, bool, error) {
	res, err := o.Ledger.Transaction(hash)
	switch {
	case errors.Is(err, simledger.ErrNotFound):
		return Receipt{}, false, nil
	case err != nil:
		return Receipt{}, false, &Error{Kind: ErrUnavailable, Message: "the ledger could not be read", cause: err}
	case !res.Successful:
		return Receipt{}, true, rejection(ResultCodes{Transaction: "tx_failed"})
	}
	return Receipt{Hash: res.Hash, Ledger: res.Ledger, AlreadyApplied: true}, true, nil
}

var _ Finder = (*OfflineSettler)(nil)
