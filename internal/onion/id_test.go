package onion

import (
	"errors"
	"strings"
	"testing"
)

// torSpecID is the example v3 address from tor's own hs_common unit tests.
const torSpecID = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid"

func TestParseID(t *testing.T) {
	flip := []byte(torSpecID)
	flip[10] = 'a' // breaks the checksum
	tests := []struct {
		name string
		in   string
		want ID
		err  error
	}{
		{"canonical", torSpecID, torSpecID, nil},
		{"with .onion", torSpecID + ".onion", torSpecID, nil},
		{"fqdn dot", torSpecID + ".onion.", torSpecID, nil},
		{"upper case", strings.ToUpper(torSpecID), torSpecID, nil},
		{"empty", "", "", ErrIDLength},
		{"v2 length", "expyuzz4wqqyqhjn.onion", "", ErrIDLength},
		{"not base32", strings.Repeat("1", IDLen), "", ErrIDBase32},
		{"newline inside", torSpecID[:40] + "\n" + torSpecID[41:], "", ErrIDBase32}, // the decoder skips \n
		{"carriage return inside", torSpecID[:10] + "\r" + torSpecID[11:], "", ErrIDBase32},
		{"bad checksum", string(flip), "", ErrIDChecksum},
		{"version 2", versionOf(2), "", ErrIDVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseID(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if tt.err != nil && !errors.Is(err, ErrInvalidID) {
				t.Fatalf("error %v does not wrap ErrInvalidID", err)
			}
			if got != tt.want {
				t.Fatalf("ParseID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// versionOf re-encodes torSpecID's key with another version byte (and a
// matching checksum for that version), so only the version is wrong.
func versionOf(v byte) string {
	raw, _ := lowerBase32.DecodeString(torSpecID)
	raw[34] = v
	return lowerBase32.EncodeToString(raw)
}

func TestIDFromPublicKeyRoundTrip(t *testing.T) {
	id, err := ParseID(torSpecID)
	if err != nil {
		t.Fatal(err)
	}
	if got := IDFromPublicKey(id.PublicKey()); got != id {
		t.Fatalf("IDFromPublicKey(PublicKey(%s)) = %s", id, got)
	}
	if id.Hostname() != torSpecID+".onion" {
		t.Fatalf("Hostname = %s", id.Hostname())
	}
}

func FuzzParseID(f *testing.F) {
	f.Add(torSpecID)
	f.Add(torSpecID + ".onion")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		again, err := ParseID(string(id))
		if err != nil || again != id {
			t.Fatalf("canonical id %q does not parse to itself: %q, %v", id, again, err)
		}
		if IDFromPublicKey(id.PublicKey()) != id {
			t.Fatalf("id %q does not round-trip through its public key", id)
		}
	})
}
