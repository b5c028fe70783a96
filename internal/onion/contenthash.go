package onion

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Onion3Codec is the multicodec number of "onion3" used by EIP-1577
// contenthash records; as an unsigned varint it is the two bytes 0xbd 0x03.
const Onion3Codec = 0x01bd

// Errors returned by ParseContentHash.
var (
	ErrNoContentHash   = errors.New("no contenthash set")
	ErrContentHashCode = errors.New("contenthash is not onion3")
	ErrContentHashForm = errors.New("malformed contenthash")
)

// knownCodecs names the other EIP-1577 namespaces, for clearer errors.
var knownCodecs = map[uint64]string{
	0xe3:     "ipfs",
	0xe4:     "swarm",
	0xe5:     "ipns",
	0x01bc:   "onion (v2)",
	0xb19910: "skynet",
	0xb29910: "arweave",
}

// ContentHash returns the EIP-1577 contenthash of the id: the onion3 codec as
// an unsigned varint (0xbd 0x03) followed by the 56 ASCII bytes of the id.
func (id ID) ContentHash() []byte {
	out := binary.AppendUvarint(make([]byte, 0, 2+IDLen), Onion3Codec)
	return append(out, id...)
}

// ContentHashHex returns ContentHash as 0x-prefixed lowercase hex, the form
// ENS tools and the public resolver's setContenthash accept.
func (id ID) ContentHashHex() string { return fmt.Sprintf("0x%x", id.ContentHash()) }

// ParseContentHash decodes an EIP-1577 onion3 contenthash and validates the id
// in it. An empty input is ErrNoContentHash (an unset record reads as empty
// bytes); another codec is ErrContentHashCode.
func ParseContentHash(b []byte) (ID, error) {
	if len(b) == 0 {
		return "", ErrNoContentHash
	}
	codec, n := binary.Uvarint(b)
	if n <= 0 {
		return "", fmt.Errorf("%w: bad codec varint", ErrContentHashForm)
	}
	if codec != Onion3Codec {
		if name, ok := knownCodecs[codec]; ok {
			return "", fmt.Errorf("%w: it is %s", ErrContentHashCode, name)
		}
		return "", fmt.Errorf("%w: codec 0x%x", ErrContentHashCode, codec)
	}
	id, err := ParseID(string(b[n:]))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrContentHashForm, err)
	}
	if string(id) != string(b[n:]) { // no suffix, no upper case: the exact bytes
		return "", fmt.Errorf("%w: id is not in canonical form", ErrContentHashForm)
	}
	return id, nil
}
