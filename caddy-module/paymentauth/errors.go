package paymentauth

import (
	"errors"
	"net/http"
)

// ProblemBase is the draft's base URI for problem types.
const ProblemBase = "https://paymentauth.org/problems/"

// Error is a refusal with the problem type the draft gives it, so the meter
// can answer with the right RFC 9457 body and status without a table of its
// own. The exported Err values are the sentinels callers test with
// errors.Is; several share a problem type where the draft does not tell
// them apart but a caller may want to.
type Error struct {
	// Code is the last segment of the problem type URI.
	Code string
	// Title is the problem's short, fixed title.
	Title string
	// Status is the HTTP status of the answer.
	Status int
	msg    string
}

func (e *Error) Error() string { return "paymentauth: " + e.msg }

// Type returns the problem type URI.
func (e *Error) Type() string { return ProblemBase + e.Code }

func newError(code, title string, status int, msg string) *Error {
	return &Error{Code: code, Title: title, Status: status, msg: msg}
}

// The refusals. Which one a credential gets follows the draft's status table.
var (
	// ErrPaymentRequired: no credential came.
	ErrPaymentRequired = newError("payment-required", "Payment Required", http.StatusPaymentRequired, "payment required")
	// ErrMalformed: the credential is not base64url of the JSON the draft
	// describes (or the header is not "Payment <token>").
	ErrMalformed = newError("malformed-credential", "Malformed Credential", http.StatusPaymentRequired, "malformed credential")
	// ErrBinding: the challenge's id is not the HMAC of its parameters under
	// this site's secret: it was altered, or made by someone else.
	ErrBinding = newError("invalid-challenge", "Invalid Challenge", http.StatusPaymentRequired, "challenge id does not match its parameters")
	// ErrRealm: the challenge names another protection space than this site.
	ErrRealm = newError("invalid-challenge", "Invalid Challenge", http.StatusPaymentRequired, "challenge is for another realm")
	// ErrExpired: the challenge's expires time has passed, or it has none
	// (we always set one, so a missing one was not ours).
	ErrExpired = newError("payment-expired", "Payment Expired", http.StatusPaymentRequired, "challenge expired")
	// ErrUsed: the challenge was answered before (a credential is good for
	// one payment: the draft's single use), or names a payment request
	// this site does not know.
	ErrUsed = newError("invalid-challenge", "Invalid Challenge", http.StatusPaymentRequired, "challenge already used or unknown")
	// ErrMethod: the credential answers a method or intent other than
	// stellar/charge.
	ErrMethod = newError("method-unsupported", "Method Unsupported", http.StatusBadRequest, "method or intent not supported")
	// ErrPayloadType: the payload is neither a transaction nor a hash, or a
	// hash answers a fee-sponsored challenge (the draft forbids push mode
	// there: the site cannot sponsor a transaction already sent).
	ErrPayloadType = newError("verification-failed", "Payment Verification Failed", http.StatusPaymentRequired, "payload type not acceptable")
	// ErrVerification: the settlement code found the transaction does not
	// pay what the request asks. It wraps this sentinel.
	ErrVerification = newError("verification-failed", "Payment Verification Failed", http.StatusPaymentRequired, "payment verification failed")
	// ErrSettlement: the transaction was valid but failed on the ledger
	// (draft-stellar-charge's settlement-failed).
	ErrSettlement = newError("settlement-failed", "Settlement Failed", http.StatusPaymentRequired, "settlement failed")
	// ErrUnavailable: the ledger did not answer in time; the payment is
	// kept and may still land, so the client retries after Retry-After
	// (503). The draft names no type for it; this one is ours.
	ErrUnavailable = newError("settlement-pending", "Settlement Pending", http.StatusServiceUnavailable, "settlement outcome not known yet")
	// ErrTooManyFailures: too many failed payments for this request or
	// from this client; retry after Retry-After (429). Ours too.
	ErrTooManyFailures = newError("too-many-failures", "Too Many Failed Payments", http.StatusTooManyRequests, "too many failed payments")
)

// AsError returns the *Error err wraps, or ErrVerification for any other
// error, so an unexpected failure is never mistaken for a success and never
// leaks its text into a problem body.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrVerification
}
