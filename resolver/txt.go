package resolver

import (
	"fmt"
	"strings"

	"github.com/torplus/torplus/internal/onion"
)

// TXTLabel is the label under a domain that holds its TorPlus TXT record.
const TXTLabel = "torplus"

// ParseTXT finds the onion id in the TXT records of torplus.<domain>. Each
// record is given as its character-strings, which are joined first (a value
// longer than 255 bytes has to be split). Records that do not start with
// "torplus=" (case-insensitive) are ignored; none is ErrNoRecord, more than
// one is ErrMultipleRecords. The id may carry a ".onion" suffix and is
// validated by onion.ParseID.
func ParseTXT(records [][]string) (onion.ID, error) {
	var values []string
	for _, strs := range records {
		v := strings.TrimSpace(strings.Join(strs, ""))
		if len(v) >= len(onion.TXTPrefix) && strings.EqualFold(v[:len(onion.TXTPrefix)], onion.TXTPrefix) {
			values = append(values, v[len(onion.TXTPrefix):])
		}
	}
	switch len(values) {
	case 0:
		return "", ErrNoRecord
	case 1:
	default:
		return "", fmt.Errorf("%w: %d TXT records start with %q", ErrMultipleRecords, len(values), onion.TXTPrefix)
	}
	id, err := onion.ParseID(values[0])
	if err != nil {
		return "", fmt.Errorf("TXT record: %w", err)
	}
	return id, nil
}
