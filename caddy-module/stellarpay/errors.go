// Package stellarpay verifies Stellar payments made for TorPlus payment
// requests and settles them on a ledger.
//
// Verify checks a signed transaction envelope (base64 XDR) against a
// payment request (payreq.Request) offline, for about the cost of one
// ed25519 signature check per required signer. A Settler submits a
// verified payment: HorizonSettler to a Horizon server, OfflineSettler to an
// in-process ledger (simledger). Who calls them, in which order, and what is
// recorded is the settlement package's business (one owner).
//
// Every refusal is an *Error with a stable code and a message, rendered as
// JSON {"error": code, "message": ...}; errors.Is matches it against the
// Err* kinds of this package.
package stellarpay

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind is a class of refusal: a sentinel for errors.Is with the JSON code
// and the HTTP status a handler should answer with.
type Kind struct {
	// Code is the machine-readable error code.
	Code string
	// Status is the suggested HTTP status.
	Status int
}

func (k *Kind) Error() string { return "stellarpay: " + k.Code }

func kind(code string, status int) *Kind { return &Kind{Code: code, Status: status} }

// Verification refusals.
var (
	ErrTooLarge       = kind("envelope_too_large", http.StatusRequestEntityTooLarge)
	ErrMalformed      = kind("envelope_malformed", http.StatusBadRequest)
	ErrNotV1          = kind("envelope_not_v1", http.StatusBadRequest)
	ErrOperationCount = kind("wrong_operation_count", http.StatusBadRequest)
	ErrNotPayment     = kind("not_a_payment", http.StatusBadRequest)
	ErrDestination    = kind("wrong_destination", http.StatusBadRequest)
	ErrAssetCode      = kind("wrong_asset_code", http.StatusBadRequest)
	ErrAssetIssuer    = kind("wrong_asset_issuer", http.StatusBadRequest)
	ErrAmount         = kind("amount_too_low", http.StatusBadRequest)
	ErrMemo           = kind("wrong_memo", http.StatusBadRequest)
	ErrExpired        = kind("request_expired", http.StatusBadRequest)
	ErrTimeBounds     = kind("bad_time_bounds", http.StatusBadRequest)
	ErrBadSignature   = kind("bad_signature", http.StatusBadRequest)
	// ErrExpectation means the Expected value itself is unusable (a bug or
	// bad configuration on our side, not the payer's fault).
	ErrExpectation = kind("invalid_expectation", http.StatusInternalServerError)
)

// Settlement refusals.
var (
	// ErrReplay means this transaction hash was already submitted.
	ErrReplay = kind("already_submitted", http.StatusConflict)
	// ErrRejected means the ledger definitely refused the transaction;
	// the *Error carries its result codes. Resubmitting cannot help.
	ErrRejected = kind("payment_rejected", http.StatusPaymentRequired)
	// ErrUnavailable means the ledger could not be reached or did not answer
	// in time; the payment may be retried (and may still land).
	ErrUnavailable = kind("ledger_unavailable", http.StatusServiceUnavailable)
	// ErrTooManyFailures means too many payments for one payment request,
	// or from one client, failed verification lately; the next is refused
	// without being verified until Error.RetryAfter has passed.
	ErrTooManyFailures = kind("too_many_failed_payments", http.StatusTooManyRequests)
)

// Finer kinds of ErrRejected, by result code; an *Error for a rejection
// matches ErrRejected and at most one of these.
var (
	ErrBadSequence = kind("tx_bad_seq", http.StatusPaymentRequired)
	ErrUnderfunded = kind("op_underfunded", http.StatusPaymentRequired)
	ErrNoTrust     = kind("no_trust", http.StatusPaymentRequired)
	ErrBadAuth     = kind("bad_auth", http.StatusPaymentRequired)
	ErrTooLate     = kind("tx_too_late", http.StatusPaymentRequired)
)

// ResultCodes are a ledger's result codes for a refused transaction.
type ResultCodes struct {
	Transaction string   `json:"transaction"`
	Operations  []string `json:"operations,omitempty"`
}

// Error is one refusal.
type Error struct {
	// Kind classifies the refusal; errors.Is(err, kind) holds.
	Kind *Kind `json:"-"`
	// Message explains the refusal to a person.
	Message string `json:"message"`
	// ResultCodes are set for ErrRejected.
	ResultCodes *ResultCodes `json:"result_codes,omitempty"`
	// RetryAfter, if set, is how long the client should wait before trying
	// again (the Retry-After of a 429 or 503).
	RetryAfter time.Duration `json:"-"`
	// cause is an underlying error (kept for logs, not rendered).
	cause error
	// also is a finer kind (ErrBadSequence, ...) errors.Is matches too.
	also *Kind
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Message }

// Unwrap lets errors.Is match the kind, the finer kind and the cause.
func (e *Error) Unwrap() []error {
	out := []error{e.Kind}
	if e.also != nil {
		out = append(out, e.also)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// MarshalJSON renders {"error": code, "message": ..., "result_codes": ...}.
func (e *Error) MarshalJSON() ([]byte, error) {
	type body struct {
		Error       string       `json:"error"`
		Message     string       `json:"message"`
		ResultCodes *ResultCodes `json:"result_codes,omitempty"`
	}
	return json.Marshal(body{e.Kind.Code, e.Message, e.ResultCodes})
}

func fail(k *Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error; errors of other types become an
// internal_error (HTTP 500) whose message does not leak their text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: kind("internal_error", http.StatusInternalServerError), Message: "internal error", cause: err}
}
