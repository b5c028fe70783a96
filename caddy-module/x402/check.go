package x402

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"
)

// Why a payload does not answer the requirements it was checked against.
// Check wraps exactly one of these; Reason maps each to the x402 code a
// client understands.
var (
	// ErrScheme: the payload answers a scheme other than exact.
	ErrScheme = errors.New("x402: scheme is not exact")
	// ErrNetwork: the payload pays on another network than offered.
	ErrNetwork = errors.New("x402: network does not match")
	// ErrAsset: the payload pays in another token than offered.
	ErrAsset = errors.New("x402: asset does not match")
	// ErrPayTo: the payload pays someone other than this site's payee.
	ErrPayTo = errors.New("x402: payTo does not match")
	// ErrAmount: the payload pays another amount than offered (more is
	// refused too: exact means exact, and the client would overpay).
	ErrAmount = errors.New("x402: amount does not match")
	// ErrNoTransaction: the payload has no transaction to verify.
	ErrNoTransaction = errors.New("x402: payload carries no transaction")
	// ErrRequirements: requirements we are about to offer are not valid
	// (unknown network, an address that is not a Stellar strkey, a negative
	// amount or timeout).
	ErrRequirements = errors.New("x402: invalid payment requirements")
)

// Exact returns the requirements of an exact payment of amount atomic units
// of asset to payTo, fees sponsored by the hoster, to be authorized within
// timeout.
func Exact(network, asset, payTo string, amount int64, timeout time.Duration) Requirements {
	return Requirements{
		Scheme:            SchemeExact,
		Network:           network,
		Amount:            FormatAmount(amount),
		Asset:             asset,
		PayTo:             payTo,
		MaxTimeoutSeconds: int(timeout / time.Second),
		Extra:             Extra{AreFeesSponsored: true},
	}
}

// Validate reports whether r is something a client can pay: a known Stellar
// network, a contract address for the asset, an account or contract for the
// payee, a non-negative amount and a positive timeout.
func (r Requirements) Validate() error {
	switch {
	case r.Scheme != SchemeExact:
		return fmt.Errorf("%w: scheme %q", ErrRequirements, r.Scheme)
	case r.Network != NetworkTestnet && r.Network != NetworkPubnet:
		return fmt.Errorf("%w: network %q", ErrRequirements, r.Network)
	case !strkey.IsValidContractAddress(r.Asset):
		return fmt.Errorf("%w: asset %q is not a contract address", ErrRequirements, r.Asset)
	case !strkey.IsValidEd25519PublicKey(r.PayTo) && !strkey.IsValidContractAddress(r.PayTo):
		return fmt.Errorf("%w: payTo %q is not an account or contract address", ErrRequirements, r.PayTo)
	case r.MaxTimeoutSeconds <= 0:
		return fmt.Errorf("%w: maxTimeoutSeconds %d", ErrRequirements, r.MaxTimeoutSeconds)
	}
	if _, err := ParseAmount(r.Amount); err != nil {
		return fmt.Errorf("%w: %w", ErrRequirements, err)
	}
	return nil
}

// Check reports whether p answers offered: same version, scheme, network,
// asset, payee and amount, and a transaction to verify. It is the protocol
// check only, done before any signature or ledger work, so a payment for
// another site, asset or price is refused cheaply; the settlement code must
// still verify that the transaction itself does what "accepted" says.
func Check(offered Requirements, p PaymentPayload) error {
	a := p.Accepted
	switch {
	case p.X402Version != Version:
		return fmt.Errorf("%w: %d", ErrVersion, p.X402Version)
	case a.Scheme != SchemeExact || offered.Scheme != SchemeExact:
		return fmt.Errorf("%w: %q", ErrScheme, a.Scheme)
	case a.Network != offered.Network:
		return fmt.Errorf("%w: paid on %q, offered %q", ErrNetwork, a.Network, offered.Network)
	case a.Asset != offered.Asset:
		return fmt.Errorf("%w: paid in %q, offered %q", ErrAsset, a.Asset, offered.Asset)
	case a.PayTo != offered.PayTo:
		return fmt.Errorf("%w: paid to %q, offered %q", ErrPayTo, a.PayTo, offered.PayTo)
	}
	want, err := ParseAmount(offered.Amount)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRequirements, err)
	}
	if got, err := ParseAmount(a.Amount); err != nil || got != want {
		return fmt.Errorf("%w: paid %q, offered %q", ErrAmount, a.Amount, offered.Amount)
	}
	if p.Payload.Transaction == "" {
		return ErrNoTransaction
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(p.Payload.Transaction); err != nil {
		return fmt.Errorf("%w: transaction is not base64: %v", ErrMalformed, err)
	}
	return nil
}

// reasons maps each error to the code the x402 reference facilitator for
// Stellar (@x402/stellar) gives the same refusal, so clients that act on
// invalidReason or errorReason see the codes they know.
var reasons = []struct {
	err  error
	code string
}{
	{ErrVersion, "invalid_x402_version"},
	{ErrScheme, "unsupported_scheme"},
	{ErrNetwork, "network_mismatch"},
	{ErrAsset, "invalid_exact_stellar_payload_wrong_asset"},
	{ErrPayTo, "invalid_exact_stellar_payload_wrong_recipient"},
	{ErrAmount, "invalid_exact_stellar_payload_wrong_amount"},
	{ErrNoTransaction, "invalid_exact_stellar_payload_malformed"},
	{ErrMalformed, "invalid_payload"},
	{ErrTooLarge, "invalid_payload"},
	{ErrRequirements, "invalid_payment_requirements"},
}

// Status returns the HTTP status the transport spec gives a refusal: 400
// for a payload that cannot be read (malformed, too large, another
// version), 402 for one that reads but does not pay what was offered, so a
// client knows whether paying again can help.
func Status(err error) int {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrVersion) {
		return http.StatusBadRequest
	}
	return http.StatusPaymentRequired
}

// Reason returns the x402 error code for err, for VerifyResponse's
// invalidReason and SettlementResponse's errorReason.
func Reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "unexpected_verify_error"
}

// ErrNoOffer: a PAYMENT-REQUIRED lists no valid exact offer on the
// network a paying client uses.
var ErrNoOffer = errors.New("x402: no exact offer on this network")

// Choose returns the first valid exact offer on network, for a paying
// client. The client must still check the amount and asset against its
// budget before it signs.
func (pr PaymentRequired) Choose(network string) (Requirements, error) {
	for _, r := range pr.Accepts {
		if r.Network == network && r.Validate() == nil {
			return r, nil
		}
	}
	return Requirements{}, fmt.Errorf("%w: %s", ErrNoOffer, network)
}
