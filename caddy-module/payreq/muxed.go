package payreq

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/stellar/go-stellar-sdk/strkey"
)

// memoPrefix starts the text memo of every request: "tp" and the request
// number in 16 hex digits, 18 characters (MEMO_TEXT holds 28 bytes).
const memoPrefix = "tp"

// Number is the request's 64-bit number: the first 8 bytes of its id, big
// endian. It is the muxed id of the request's M… destination and is in its
// text memo. Every replica derives it from the id alone, so none has to
// coordinate; two outstanding requests share one with odds of 2⁻⁶⁴.
func (id ID) Number() uint64 { return binary.BigEndian.Uint64(id[:8]) }

// NumberRange is the range of ids whose Number is n: what a store looks
// a number up by (ids are stored in byte order).
func NumberRange(n uint64) (lo, hi ID) {
	binary.BigEndian.PutUint64(lo[:8], n)
	copy(hi[:], lo[:8])
	for i := 8; i < len(hi); i++ {
		hi[i] = 0xff
	}
	return lo, hi
}

// MuxedAddress is the muxed address (M…) of account dest (G…) with id n,
// or "" when dest is not an account id.
func MuxedAddress(dest string, n uint64) string {
	key, err := strkey.Decode(strkey.VersionByteAccountID, dest)
	if err != nil {
		return ""
	}
	payload := binary.BigEndian.AppendUint64(key, n)
	m, err := strkey.Encode(strkey.VersionByteMuxedAccount, payload)
	if err != nil {
		return ""
	}
	return m
}

// MemoText is the short text memo (MEMO_TEXT) of request number n, for a
// wallet that pays an account with a memo rather than a muxed address.
func MemoText(n uint64) string {
	s := strconv.FormatUint(n, 16)
	return memoPrefix + strings.Repeat("0", 16-len(s)) + s
}

// ParseMemoText returns the request number of a text memo made by
// MemoText (case-insensitive, spaces around tolerated, as wallets type it).
func ParseMemoText(memo string) (uint64, bool) {
	memo = strings.ToLower(strings.TrimSpace(memo))
	hex, ok := strings.CutPrefix(memo, memoPrefix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(hex, 16, 64)
	return n, err == nil
}

// fillLedgerAddress sets the fields derived from the id and destination:
// the muxed destination and the text memo.
func (r *Request) fillLedgerAddress() {
	n := r.ID.Number()
	r.Muxed, r.Memo = MuxedAddress(r.Destination, n), MemoText(n)
}

// WithLedgerAddress returns r with its muxed destination and memo filled
// in (a stored request keeps neither: both derive from the id).
func (r Request) WithLedgerAddress() Request {
	r.fillLedgerAddress()
	return r
}
