package paymentauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/torplus/torplus/caddy-module/x402"
)

// ErrRequest: a request we are about to put in a challenge is not one a
// client can pay (unknown network, a currency that is not a contract
// address, a recipient that is not an account or contract, a negative
// amount). Emitting it would only make clients fail later.
var ErrRequest = errors.New("paymentauth: invalid charge request")

// The method and intent this package speaks.
const (
	MethodStellar = "stellar"
	IntentCharge  = "charge"
)

// MethodDetails is the stellar method's part of a charge request.
type MethodDetails struct {
	// Network is the CAIP-2 id, "stellar:testnet" or "stellar:pubnet".
	Network string `json:"network"`
	// FeePayer true: the site's fee account pays the fee, the client signs
	// only the SAC authorization entry (pull mode only).
	FeePayer bool `json:"feePayer"`
}

// Request is a stellar charge request, the JSON behind a challenge's
// request parameter.
type Request struct {
	// Amount is the price in the token's atomic units (stroops); a decimal
	// string on the wire.
	Amount int64 `json:"-"`
	// Currency is the SEP-41 token's contract address (C…): TPT's SAC.
	Currency string `json:"currency"`
	// Recipient is the payee's Stellar address. The meter gives the
	// request's muxed address (M…), which names the request on the ledger,
	// so a transfer pushed by the client is matched to it.
	Recipient string `json:"recipient"`
	// Description is for people; nothing is verified against it.
	Description string `json:"description,omitempty"`
	// ExternalID is the site's reference for the payment request, echoed in
	// the receipt; the meter puts its request id here.
	ExternalID string `json:"externalId,omitempty"`
	// MethodDetails holds the network and fee sponsorship.
	MethodDetails MethodDetails `json:"methodDetails"`
}

// wireRequest carries Amount as the string the draft requires.
type wireRequest struct {
	Amount string `json:"amount"`
	request
}

// request has Request's fields without its methods, so marshalling the
// wire form does not recurse.
type request Request

// MarshalJSON writes the amount as a decimal string.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireRequest{Amount: x402.FormatAmount(r.Amount), request: request(r)})
}

// UnmarshalJSON reads the amount strictly: digits only, no leading zeros.
func (r *Request) UnmarshalJSON(b []byte) error {
	var w wireRequest
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	n, err := x402.ParseAmount(w.Amount)
	if err != nil {
		return err
	}
	*r = Request(w.request)
	r.Amount = n
	return nil
}

// Validate reports whether r is a stellar charge a client can pay. The
// networks are x402's: the same two CAIP-2 ids, with fixed passphrases.
func (r Request) Validate() error {
	switch n := r.MethodDetails.Network; {
	case r.Amount < 0:
		return fmt.Errorf("%w: amount %d", ErrRequest, r.Amount)
	case n != x402.NetworkTestnet && n != x402.NetworkPubnet:
		return fmt.Errorf("%w: network %q", ErrRequest, n)
	case !strkey.IsValidContractAddress(r.Currency):
		return fmt.Errorf("%w: currency %q is not a contract address", ErrRequest, r.Currency)
	case !strkey.IsValidEd25519PublicKey(r.Recipient) && !strkey.IsValidMuxedAccountEd25519PublicKey(r.Recipient) &&
		!strkey.IsValidContractAddress(r.Recipient):
		return fmt.Errorf("%w: recipient %q is not an account (G… or muxed M…) or contract address", ErrRequest, r.Recipient)
	}
	return nil
}

// encodeRequest returns the request parameter: base64url, no padding, of
// the JCS form of r.
func encodeRequest(r Request) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	b, err := MarshalCanonical(r)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ChargeRequest decodes the challenge's request, for a paying client that
// must build the transfer it asks for. It checks the shape only: the
// client must still check amount, currency and recipient against what it
// expects before signing (the draft's amount verification), and a site
// never trusts it (Issuer.Verify decodes only what its HMAC bound).
func (c Challenge) ChargeRequest() (Request, error) {
	if c.Method != MethodStellar || c.Intent != IntentCharge {
		return Request{}, fmt.Errorf("%w: %s/%s", ErrMethod, c.Method, c.Intent)
	}
	r, err := decodeRequest(c.Request)
	if err != nil {
		return Request{}, err
	}
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// decodeRequest reads a request parameter. It accepts any JSON order (a
// client's parser must), but Issuer.Verify only ever decodes requests whose
// exact string the HMAC has bound, which are ours and canonical.
func decodeRequest(s string) (Request, error) {
	raw, err := decodeB64URL(s)
	if err != nil {
		return Request{}, fmt.Errorf("%w: request: %v", ErrMalformed, err)
	}
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return Request{}, fmt.Errorf("%w: request: %v", ErrMalformed, err)
	}
	return r, nil
}

// decodeB64URL reads base64url without padding, as the draft writes it,
// and tolerates padding some encoders add.
func decodeB64URL(s string) ([]byte, error) {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}
