package payreq

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ID is a payment request id: 32 random bytes, which are also the
// payment's MEMO_HASH. Its text form is 64 lowercase hex digits.
type ID [32]byte

// NewID returns a fresh random id.
func NewID() ID {
	var id ID
	rand.Read(id[:]) // never fails (crypto/rand panics rather than return short)
	return id
}

// ParseID parses the text form: exactly 64 lowercase hex digits, so that
// one id has one spelling (in URLs, logs and the store).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("%w: id must be 64 lowercase hex digits", ErrMalformed)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil || hex.EncodeToString(id[:]) != s {
		return id, fmt.Errorf("%w: id must be 64 lowercase hex digits", ErrMalformed)
	}
	return id, nil
}

// String returns the id as 64 lowercase hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText writes the id as String does.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the id as ParseID does.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
