package x402

import (
	"context"
	"encoding/json"
	"errors"
)

// Facilitator verifies and settles x402 payments. The hoster is its own
// facilitator (its fee account sponsors the transaction); Client reaches a
// hosted one by URL with the same interface, so the meter does not care
// which it has.
type Facilitator interface {
	// Verify checks that p pays r, without submitting anything.
	Verify(ctx context.Context, p PaymentPayload, r Requirements) (VerifyResponse, error)
	// Settle verifies again (it must not trust an earlier Verify), submits
	// and waits for the ledger's answer.
	Settle(ctx context.Context, p PaymentPayload, r Requirements) (SettlementResponse, error)
	// Supported lists the schemes and networks the facilitator takes.
	Supported(ctx context.Context) (SupportedResponse, error)
}

// FacilitatorRequest is the body of POST /verify and POST /settle.
type FacilitatorRequest struct {
	// X402Version is the payload's version.
	X402Version int `json:"x402Version"`
	// PaymentPayload is what the client sent in PAYMENT-SIGNATURE.
	PaymentPayload PaymentPayload `json:"paymentPayload"`
	// PaymentRequirements is what the resource server offered, which the
	// facilitator checks the payload against (not the payload's own copy).
	PaymentRequirements Requirements `json:"paymentRequirements"`
}

// VerifyResponse is the answer of POST /verify.
type VerifyResponse struct {
	// IsValid says whether the payment would settle.
	IsValid bool `json:"isValid"`
	// InvalidReason is an x402 error code when IsValid is false.
	InvalidReason string `json:"invalidReason,omitempty"`
	// Payer is the paying address.
	Payer string `json:"payer,omitempty"`
}

// SupportedKind is one scheme and network a facilitator takes.
type SupportedKind struct {
	// X402Version is the protocol version the kind is taken in.
	X402Version int `json:"x402Version"`
	// Scheme is the payment scheme, "exact" here.
	Scheme string `json:"scheme"`
	// Network is the CAIP-2 network.
	Network string `json:"network"`
	// Extra is the scheme's extra for this network (areFeesSponsored on
	// Stellar), kept raw: other networks put other things there.
	Extra json.RawMessage `json:"extra,omitempty"`
}

// SupportedResponse is the answer of GET /supported.
type SupportedResponse struct {
	// Kinds lists the scheme and network pairs taken.
	Kinds []SupportedKind `json:"kinds"`
	// Extensions lists the x402 extensions the facilitator implements.
	Extensions []string `json:"extensions"`
	// Signers maps CAIP-2 patterns ("stellar:*") to the facilitator's
	// addresses, which a resource server must never see as a payer.
	Signers map[string][]string `json:"signers"`
}

// Takes reports whether the facilitator lists scheme on network.
func (s SupportedResponse) Takes(scheme, network string) bool {
	for _, k := range s.Kinds {
		if k.X402Version == Version && k.Scheme == scheme && k.Network == network {
			return true
		}
	}
	return false
}

// ErrFacilitator: a facilitator answered with something other than a
// verify, settle or supported response (a server error, a proxy's page, a
// body too large). Refusals of a payment are not errors: they come back as
// a response with IsValid or Success false and a reason.
var ErrFacilitator = errors.New("x402: facilitator failed")
