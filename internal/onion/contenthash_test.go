package onion

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestContentHashKnownID(t *testing.T) {
	// 0xbd03 (onion3 as a varint) then the 56 ASCII bytes of the id,
	// written out by hand so the encoder is checked byte for byte.
	const want = "0xbd03" +
		"32356e6a71616d637765666c70766b6c37336a34737a6168" +
		"6869686f63347874336b7463676a6e7061696e6772357968" +
		"6b656e6c35736964"
	id := ID(torSpecID)
	if got := id.ContentHashHex(); got != want {
		t.Fatalf("ContentHashHex = %s\nwant            %s", got, want)
	}
	if n := len(id.ContentHash()); n != 58 {
		t.Fatalf("contenthash is %d bytes, want 58", n)
	}
}

func TestParseContentHash(t *testing.T) {
	mustHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := ID(torSpecID).ContentHash()
	upper := append([]byte{0xbd, 0x03}, []byte("25NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENL5SID")...)
	tests := []struct {
		name string
		in   []byte
		want ID
		err  error
	}{
		{"onion3", good, torSpecID, nil},
		{"empty", nil, "", ErrNoContentHash},
		{"ipfs", mustHex("e3010170122029f2d17be6139079dc48696d1f582a8530eb9805b561eda517e22a892c7e3f1f"), "", ErrContentHashCode},
		{"swarm", mustHex("e40101fa011b20d1de9994b4d039f6548d191eb26786769f580809256b4685ef316805265ea162"), "", ErrContentHashCode},
		{"truncated varint", []byte{0xbd}, "", ErrContentHashForm},
		{"short id", good[:40], "", ErrContentHashForm},
		{"bad checksum", append(append([]byte{}, good[:20]...), append([]byte{'a'}, good[21:]...)...), "", ErrInvalidID},
		{"upper case", upper, "", ErrContentHashForm},
		{"trailing .onion", append(append([]byte{}, good...), ".onion"...), "", ErrContentHashForm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseContentHash(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseContentHash(f *testing.F) {
	f.Add(ID(torSpecID).ContentHash())
	f.Add([]byte{0xe3, 0x01, 0x01, 0x70})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParseContentHash(b)
		if err != nil {
			return
		}
		if got := id.ContentHash(); string(got) != string(b) {
			t.Fatalf("accepted %x but re-encodes as %x", b, got)
		}
	})
}
