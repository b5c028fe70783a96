package x402

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The header names of the HTTP transport. HTTP field names are
// case-insensitive; Go's http.Header canonicalises them to Payment-Required
// and so on, which every client reads the same.
const (
	HeaderRequired  = "PAYMENT-REQUIRED"
	HeaderSignature = "PAYMENT-SIGNATURE"
	HeaderResponse  = "PAYMENT-RESPONSE"
)

// MaxHeaderBytes bounds an encoded header we decode. A signed Stellar SAC
// transfer is under 2 KB of XDR; 16 KiB leaves room for extensions while a
// hostile client cannot make us decode megabytes.
const MaxHeaderBytes = 16 << 10

// Errors of decoding a header. Decode errors wrap one of these.
var (
	// ErrMalformed: the header is not standard base64 of one JSON object of
	// the expected shape.
	ErrMalformed = errors.New("x402: malformed header")
	// ErrTooLarge: the header is longer than MaxHeaderBytes.
	ErrTooLarge = errors.New("x402: header too large")
	// ErrVersion: the message is not x402 version 2.
	ErrVersion = errors.New("x402: unsupported x402Version")
)

// EncodeRequired returns the PAYMENT-REQUIRED value for pr.
func EncodeRequired(pr PaymentRequired) (string, error) { return encode(pr) }

// DecodeRequired parses a PAYMENT-REQUIRED value (what a paying client reads).
func DecodeRequired(h string) (PaymentRequired, error) {
	return decodeV2(h, func(pr *PaymentRequired) int { return pr.X402Version })
}

// EncodeSignature returns the PAYMENT-SIGNATURE value for p.
func EncodeSignature(p PaymentPayload) (string, error) { return encode(p) }

// DecodeSignature parses a PAYMENT-SIGNATURE value. It checks only the shape
// and the version; Check tells whether the payload answers what was offered.
func DecodeSignature(h string) (PaymentPayload, error) {
	return decodeV2(h, func(p *PaymentPayload) int { return p.X402Version })
}

// EncodeResponse returns the PAYMENT-RESPONSE value for s.
func EncodeResponse(s SettlementResponse) (string, error) { return encode(s) }

// DecodeResponse parses a PAYMENT-RESPONSE value.
func DecodeResponse(h string) (SettlementResponse, error) {
	var s SettlementResponse
	if err := decode(h, &s); err != nil {
		return SettlementResponse{}, err
	}
	return s, nil
}

// decodeV2 decodes a message that names its version, refusing any but 2.
func decodeV2[T any](h string, version func(*T) int) (T, error) {
	var v, zero T
	if err := decode(h, &v); err != nil {
		return zero, err
	}
	if n := version(&v); n != Version {
		return zero, fmt.Errorf("%w: %d", ErrVersion, n)
	}
	return v, nil
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("x402: encode: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// decode reads standard base64 (padding optional, as the reference client's
// regular expression allows) of exactly one JSON object into v. Unknown
// fields are ignored: the spec lets later versions add them.
func decode(h string, v any) error {
	h = strings.TrimSpace(h)
	if len(h) > MaxHeaderBytes {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(h))
	}
	enc := base64.StdEncoding
	if len(h)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	raw, err := enc.Strict().DecodeString(h)
	if err != nil {
		return fmt.Errorf("%w: base64: %v", ErrMalformed, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: json: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	return nil
}
