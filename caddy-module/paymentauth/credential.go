package paymentauth

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The payload types of the stellar charge method.
const (
	// PayloadTransaction (pull mode): the client sends the signed
	// transaction and the site submits it.
	PayloadTransaction = "transaction"
	// PayloadHash (push mode): the client submitted it and sends its hash.
	PayloadHash = "hash"
)

// Payload is the stellar method's proof of payment.
type Payload struct {
	// Type is PayloadTransaction or PayloadHash.
	Type string `json:"type"`
	// Transaction is the base64 XDR of the transaction (pull mode).
	Transaction string `json:"transaction,omitempty"`
	// Hash is the transaction hash, 64 hex digits (push mode).
	Hash string `json:"hash,omitempty"`
}

// Credential is what Authorization: Payment carries.
type Credential struct {
	// Challenge echoes the challenge answered, unchanged.
	Challenge Challenge `json:"challenge"`
	// Source optionally names the payer, as did:pkh:stellar:<net>:<G…>.
	Source string `json:"source,omitempty"`
	// Payload is the proof.
	Payload Payload `json:"payload"`
}

// String returns the Authorization value for c: "Payment " and base64url,
// without padding, of its JSON.
func (c Credential) String() string {
	b, _ := json.Marshal(c) // plain strings only: cannot fail
	return "Payment " + base64.RawURLEncoding.EncodeToString(b)
}

// ParseCredential reads an Authorization value. The scheme name is
// case-insensitive (RFC 9110); the token must be base64url of one JSON
// object with a challenge and a payload of a known type. Errors wrap
// ErrMalformed, or ErrPayloadType for a well-formed payload of a type we
// do not take.
func ParseCredential(h string) (Credential, error) {
	if len(h) > MaxHeaderBytes {
		return Credential{}, fmt.Errorf("%w: header of %d bytes", ErrMalformed, len(h))
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimLeft(token, " ")
	if !ok || !strings.EqualFold(scheme, "Payment") || token == "" {
		return Credential{}, fmt.Errorf("%w: not a Payment credential", ErrMalformed)
	}
	raw, err := decodeB64URL(token)
	if err != nil {
		return Credential{}, fmt.Errorf("%w: base64url: %v", ErrMalformed, err)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return Credential{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var c Credential
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&c); err != nil {
		return Credential{}, fmt.Errorf("%w: json: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Credential{}, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if c.Challenge.ID == "" {
		return Credential{}, fmt.Errorf("%w: no challenge id", ErrMalformed)
	}
	if err := c.Payload.check(); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// check validates the payload's shape: exactly the field its type needs.
func (p Payload) check() error {
	switch p.Type {
	case PayloadTransaction:
		if p.Hash != "" {
			return fmt.Errorf("%w: transaction payload with a hash", ErrMalformed)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(p.Transaction); err != nil || p.Transaction == "" {
			return fmt.Errorf("%w: transaction is not base64 XDR", ErrMalformed)
		}
	case PayloadHash:
		if p.Transaction != "" {
			return fmt.Errorf("%w: hash payload with a transaction", ErrMalformed)
		}
		if b, err := hex.DecodeString(p.Hash); err != nil || len(b) != 32 || strings.ToLower(p.Hash) != p.Hash {
			return fmt.Errorf("%w: hash is not 64 lower-case hex digits", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: %q", ErrPayloadType, p.Type)
	}
	return nil
}

// Verify checks a parsed credential against this site at time now: a
// stellar charge challenge, of this realm, unaltered (HMAC), unexpired, and
// a payload its request allows (no hash when the site pays the fee). It
// returns the request the challenge bound, for the settlement code to check
// the transaction against. The caller must still make sure the challenge
// id is used once.
func (is *Issuer) Verify(c Credential, now time.Time) (Request, error) {
	r, err := is.check(c.Challenge, now)
	if err != nil {
		return Request{}, err
	}
	if c.Payload.Type == PayloadHash && r.MethodDetails.FeePayer {
		return Request{}, fmt.Errorf("%w: push mode answers a fee-sponsored challenge", ErrPayloadType)
	}
	return r, nil
}
