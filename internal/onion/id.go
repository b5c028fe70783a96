package onion

import (
	"crypto/ed25519"
	"crypto/sha3"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// IDLen is the length of a v3 onion id in characters (without ".onion").
const IDLen = 56

// version is the onion service version byte encoded in every v3 id.
const version = 3

// Errors returned by ParseID. Every one of them wraps ErrInvalidID, so a
// caller that only cares whether an id is usable can test for that alone.
var (
	ErrInvalidID   = errors.New("invalid onion id")
	ErrIDLength    = fmt.Errorf("%w: want %d base32 characters", ErrInvalidID, IDLen)
	ErrIDBase32    = fmt.Errorf("%w: not base32", ErrInvalidID)
	ErrIDChecksum  = fmt.Errorf("%w: checksum mismatch", ErrInvalidID)
	ErrIDVersion   = fmt.Errorf("%w: not version 3", ErrInvalidID)
	ErrIDPublicKey = fmt.Errorf("%w: not an ed25519 public key", ErrInvalidID)
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ID is a validated v3 onion service id: 56 lowercase base32 characters,
// without the ".onion" suffix. The zero value is not a valid id.
type ID string

// ParseID validates s as a v3 onion id. It accepts upper or lower case and an
// optional ".onion" suffix (with or without a trailing dot), and returns the
// canonical lowercase id.
func ParseID(s string) (ID, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimSuffix(s, ".onion")
	if len(s) != IDLen {
		return "", ErrIDLength
	}
	// The decoder skips '\r' and '\n', so the alphabet is checked first:
	// 56 characters must be 56 base32 digits.
	if strings.IndexFunc(s, notBase32) >= 0 {
		return "", ErrIDBase32
	}
	raw, err := lowerBase32.DecodeString(s)
	if err != nil || len(raw) != 35 {
		return "", ErrIDBase32
	}
	pub, sum, ver := raw[:32], raw[32:34], raw[34]
	if ver != version {
		return "", ErrIDVersion
	}
	want := checksum(pub)
	if sum[0] != want[0] || sum[1] != want[1] {
		return "", ErrIDChecksum
	}
	return ID(s), nil
}

// notBase32 reports whether r is outside the lowercase base32 alphabet.
func notBase32(r rune) bool { return (r < 'a' || r > 'z') && (r < '2' || r > '7') }

// IDFromPublicKey returns the onion id of an ed25519 public key.
func IDFromPublicKey(pub ed25519.PublicKey) ID {
	raw := make([]byte, 0, 35)
	raw = append(raw, pub...)
	raw = append(raw, checksum(pub)...)
	raw = append(raw, version)
	return ID(lowerBase32.EncodeToString(raw))
}

// checksum is the first two bytes of SHA3-256(".onion checksum" | pubkey | version).
func checksum(pub []byte) []byte {
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(pub)
	h.Write([]byte{version})
	return h.Sum(nil)[:2]
}

// PublicKey returns the ed25519 public key encoded in the id.
// It panics if id was not produced by ParseID or IDFromPublicKey.
func (id ID) PublicKey() ed25519.PublicKey {
	raw, err := lowerBase32.DecodeString(string(id))
	if err != nil || len(raw) != 35 {
		panic("onion: PublicKey of an unvalidated ID")
	}
	return ed25519.PublicKey(raw[:32])
}

// Hostname returns the id with its ".onion" suffix.
func (id ID) Hostname() string { return string(id) + ".onion" }

// String returns the bare id.
func (id ID) String() string { return string(id) }
