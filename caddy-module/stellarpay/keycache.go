package stellarpay

import (
	"sync/atomic"

	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// expectedKeys are the decoded forms of a payment request's destination, issuer
// and network. An operator has one of each, so the last ones decoded are
// kept and reused: comparing three strings is cheaper than two strkey
// decodes (base32 + CRC16) and a SHA-256 per verification.
type expectedKeys struct {
	destination, issuer, passphrase string
	destKey, issuerKey, networkID   [32]byte
}

var lastKeys atomic.Pointer[expectedKeys]

// keysFor returns exp's decoded keys, or an *Error for an unusable request.
func keysFor(exp *payreq.Request) (*expectedKeys, error) {
	if k := lastKeys.Load(); k != nil && k.destination == exp.Destination && k.issuer == exp.AssetIssuer && k.passphrase == exp.NetworkPassphrase {
		return k, nil
	}
	dest, err := strkey.Decode(strkey.VersionByteAccountID, exp.Destination)
	if err != nil {
		return nil, fail(ErrExpectation, "expected destination %q is not an account id", exp.Destination)
	}
	issuer, err := strkey.Decode(strkey.VersionByteAccountID, exp.AssetIssuer)
	if err != nil {
		return nil, fail(ErrExpectation, "expected asset issuer %q is not an account id", exp.AssetIssuer)
	}
	if exp.NetworkPassphrase == "" {
		return nil, fail(ErrExpectation, "expected network passphrase is empty")
	}
	k := &expectedKeys{
		destination: exp.Destination, issuer: exp.AssetIssuer, passphrase: exp.NetworkPassphrase,
		destKey: [32]byte(dest), issuerKey: [32]byte(issuer), networkID: txenv.NetworkID(exp.NetworkPassphrase),
	}
	lastKeys.Store(k)
	return k, nil
}
