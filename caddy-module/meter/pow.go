package meter

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

// PoWHeader is the request header carrying a proof-of-work stamp:
// "<challenge>.<nonce>".
const PoWHeader = identity.PoWHeader

// PoWScheme is the WWW-Authenticate scheme of a proof-of-work challenge.
const PoWScheme = "TorPlus-PoW"

// powWindow is the life of one challenge; a stamp is good for two windows.
const powWindow = 10 * time.Minute

// ErrBadStamp means a TorPlus-PoW header is malformed, stale, made for
// another client or short of the required work.
var ErrBadStamp = errors.New("meter: invalid proof-of-work stamp")

// powChallenge returns the challenge for client k at now: the time window
// and a MAC binding it to k, so a stamp cannot be reused by other clients.
func powChallenge(secret [32]byte, k identity.Key, now time.Time) string {
	return challengeAt(secret, k, uint64(now.Unix()/int64(powWindow/time.Second)))
}

func challengeAt(secret [32]byte, k identity.Key, window uint64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], window)
	mac := hmac.New(sha256.New, secret[:])
	mac.Write(b[:8])
	mac.Write([]byte{byte(k.Kind)})
	mac.Write(k.ID[:])
	copy(b[8:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkStamp verifies a TorPlus-PoW header value for client k.
func checkStamp(secret [32]byte, k identity.Key, now time.Time, difficulty int, stamp string) error {
	if len(stamp) > 128 {
		return fmt.Errorf("%w: too long", ErrBadStamp)
	}
	challenge, nonce, ok := strings.Cut(stamp, ".")
	if !ok || nonce == "" || len(challenge) != 32 {
		return fmt.Errorf("%w: want <challenge>.<nonce>", ErrBadStamp)
	}
	raw, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(raw) != 24 {
		return fmt.Errorf("%w: challenge is not base64url", ErrBadStamp)
	}
	window := binary.BigEndian.Uint64(raw[:8])
	cur := uint64(now.Unix() / int64(powWindow/time.Second))
	if window != cur && window+1 != cur {
		return fmt.Errorf("%w: challenge expired", ErrBadStamp)
	}
	if !hmac.Equal([]byte(challengeAt(secret, k, window)), []byte(challenge)) {
		return fmt.Errorf("%w: challenge was made for another client", ErrBadStamp)
	}
	if leadingZeroBits(stamp) < difficulty {
		return fmt.Errorf("%w: not enough work", ErrBadStamp)
	}
	return nil
}

// leadingZeroBits counts the leading zero bits of SHA-256(stamp).
func leadingZeroBits(stamp string) int {
	sum := sha256.Sum256([]byte(stamp))
	n := 0
	for i := 0; i < len(sum); i += 8 {
		w := binary.BigEndian.Uint64(sum[i:])
		n += bits.LeadingZeros64(w)
		if w != 0 {
			break
		}
	}
	return n
}

// SolvePoW finds a stamp for challenge with at least difficulty leading
// zero bits in SHA-256("<challenge>.<nonce>"), trying at most maxTries
// nonces. It is what a client does; the hoster uses it in tests.
func SolvePoW(challenge string, difficulty int, maxTries int) (string, error) {
	for i := range maxTries {
		stamp := challenge + "." + strconv.Itoa(i)
		if leadingZeroBits(stamp) >= difficulty {
			return stamp, nil
		}
	}
	return "", fmt.Errorf("meter: no stamp found in %d tries", maxTries)
}
