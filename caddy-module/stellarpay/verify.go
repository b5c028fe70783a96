package stellarpay

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/amount"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// MaxEnvelopeChars caps the base64 envelope Verify accepts. A one-payment
// transaction with a few signatures is under 600 characters.
const MaxEnvelopeChars = 4096

// Expected is what a payment must be to pay one payment request.
type Expected struct {
	// ID is the payment request id; the transaction's MEMO_HASH must equal it.
	ID [32]byte
	// Destination is the account to be paid (G...).
	Destination string
	// AssetCode and AssetIssuer name the asset (TPT and its issuer).
	AssetCode, AssetIssuer string
	// Amount is the least amount, in stroops (1 TPT = 10,000,000 stroops).
	Amount int64
	// NetworkPassphrase of the network the transaction must be signed for.
	NetworkPassphrase string
	// ExpiresAt is the request's expiry; the transaction's max_time must
	// not be later, and the request must not have expired.
	ExpiresAt time.Time
}

// Payment is a verified payment, ready to settle.
type Payment struct {
	// Envelope is the base64 envelope as received.
	Envelope string
	// Hash is the transaction hash on the expected network.
	Hash [32]byte
	// SourceKey is the paying account's ed25519 key; Source renders it.
	SourceKey [32]byte
	// Amount paid, in stroops (≥ the expected amount).
	Amount int64
	// ID is the payment request id (the memo hash).
	ID [32]byte
	// MaxTime is the transaction's upper time bound: after it the
	// transaction can never be applied.
	MaxTime time.Time
}

// Source returns the paying account's address (G...).
func (p *Payment) Source() string {
	return strkey.MustEncode(strkey.VersionByteAccountID, p.SourceKey[:])
}

// HashHex returns the transaction hash as lowercase hex, as Horizon shows it.
func (p *Payment) HashHex() string { return hex.EncodeToString(p.Hash[:]) }

// ParseAmount parses a decimal amount with at most 7 decimals ("2.5") to
// stroops, exactly. Zero and negative amounts are refused.
func ParseAmount(s string) (int64, error) {
	v, err := amount.ParseInt64(s)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, errors.New("amount must be positive")
	}
	return v, nil
}

// FormatAmount renders stroops as a decimal amount ("2.5000000").
func FormatAmount(stroops int64) string { return amount.StringFromInt64(stroops) }

// Verify checks a base64 transaction envelope against exp at time now,
// offline: size, v1 envelope, one payment operation, destination, asset
// code and issuer, amount, memo hash, time bounds and the signatures of the
// source accounts. It returns the first refusal found as an *Error.
func Verify(b64 string, exp *Expected, now time.Time) (*Payment, error) {
	env, v1, err := decodeV1(b64)
	if err != nil {
		return nil, err
	}
	tx := &v1.Tx
	if len(tx.Operations) != 1 {
		return nil, fail(ErrOperationCount, "transaction has %d operations, exactly one payment is expected", len(tx.Operations))
	}
	op := &tx.Operations[0]
	if op.Body.Type != xdr.OperationTypePayment || op.Body.PaymentOp == nil {
		return nil, fail(ErrNotPayment, "operation is %s, a payment is expected", op.Body.Type)
	}
	pay := op.Body.PaymentOp
	keys, err := keysFor(exp)
	if err != nil {
		return nil, err
	}
	if err := checkPaymentOp(pay, exp, keys); err != nil {
		return nil, err
	}
	if tx.Memo.Type != xdr.MemoTypeMemoHash || tx.Memo.Hash == nil || [32]byte(*tx.Memo.Hash) != exp.ID {
		return nil, fail(ErrMemo, "memo must be MEMO_HASH %x (the payment request id)", exp.ID[:])
	}
	maxTime, err := checkTimeBounds(tx.Cond, exp, now)
	if err != nil {
		return nil, err
	}
	hash, srcKey, err := checkSignatures(env, tx, op, keys.networkID, exp.NetworkPassphrase)
	if err != nil {
		return nil, err
	}
	return &Payment{Envelope: b64, Hash: hash, SourceKey: srcKey, Amount: int64(pay.Amount), ID: exp.ID, MaxTime: maxTime}, nil
}

func checkPaymentOp(pay *xdr.PaymentOp, exp *Expected, keys *expectedKeys) error {
	if exp.Amount <= 0 {
		return fail(ErrExpectation, "expected amount %d is not positive", exp.Amount)
	}
	if dest, ok := txenv.AccountKey(pay.Destination); !ok || dest != keys.destKey {
		return fail(ErrDestination, "payment must go to %s", exp.Destination)
	}
	var code []byte
	var issuer xdr.AccountId
	switch {
	case pay.Asset.Type == xdr.AssetTypeAssetTypeCreditAlphanum4 && pay.Asset.AlphaNum4 != nil:
		code, issuer = pay.Asset.AlphaNum4.AssetCode[:], pay.Asset.AlphaNum4.Issuer
	case pay.Asset.Type == xdr.AssetTypeAssetTypeCreditAlphanum12 && pay.Asset.AlphaNum12 != nil:
		code, issuer = pay.Asset.AlphaNum12.AssetCode[:], pay.Asset.AlphaNum12.Issuer
	default:
		return fail(ErrAssetCode, "payment is in %s, %s is expected", pay.Asset.Type, exp.AssetCode)
	}
	if got := strings.TrimRight(string(code), "\x00"); got != exp.AssetCode {
		return fail(ErrAssetCode, "payment is in %q, %s is expected", got, exp.AssetCode)
	}
	if key, ok := txenv.IssuerKey(issuer); !ok || key != keys.issuerKey {
		return fail(ErrAssetIssuer, "%s must be the one issued by %s", exp.AssetCode, exp.AssetIssuer)
	}
	if int64(pay.Amount) < exp.Amount {
		return fail(ErrAmount, "payment of %s %s is less than the %s requested",
			FormatAmount(int64(pay.Amount)), exp.AssetCode, FormatAmount(exp.Amount))
	}
	return nil
}

func checkTimeBounds(c xdr.Preconditions, exp *Expected, now time.Time) (time.Time, error) {
	if now.After(exp.ExpiresAt) {
		return time.Time{}, fail(ErrExpired, "payment request expired at %s", exp.ExpiresAt.UTC().Format(time.RFC3339))
	}
	var tb *xdr.TimeBounds
	switch c.Type {
	case xdr.PreconditionTypePrecondTime:
		tb = c.TimeBounds
	case xdr.PreconditionTypePrecondV2:
		v2 := c.V2
		if v2.LedgerBounds != nil || v2.MinSeqNum != nil || v2.MinSeqAge != 0 || v2.MinSeqLedgerGap != 0 || len(v2.ExtraSigners) > 0 {
			return time.Time{}, fail(ErrTimeBounds, "only time bounds are accepted as preconditions")
		}
		tb = v2.TimeBounds
	}
	if tb == nil || tb.MaxTime == 0 {
		return time.Time{}, fail(ErrTimeBounds, "transaction needs a max_time no later than the request's expiry")
	}
	maxTime := time.Unix(int64(tb.MaxTime), 0)
	switch {
	case int64(tb.MaxTime) < 0 || maxTime.After(exp.ExpiresAt):
		return time.Time{}, fail(ErrTimeBounds, "max_time %d is after the request's expiry %d", uint64(tb.MaxTime), exp.ExpiresAt.Unix())
	case now.Unix() > int64(tb.MaxTime):
		return time.Time{}, fail(ErrTimeBounds, "transaction expired at max_time %d", uint64(tb.MaxTime))
	case now.Unix() < int64(tb.MinTime):
		return time.Time{}, fail(ErrTimeBounds, "transaction is not valid before min_time %d", uint64(tb.MinTime))
	}
	return maxTime, nil
}

// knownNetworks are tried, only after a signature failed, to tell a
// payment signed for another network from a bad signature.
var knownNetworks = []string{network.PublicNetworkPassphrase, network.TestNetworkPassphrase, network.FutureNetworkPassphrase}

func checkSignatures(env *txenv.Envelope, tx *xdr.Transaction, op *xdr.Operation, networkID [32]byte, passphrase string) (hash, srcKey [32]byte, err error) {
	srcKey, ok := txenv.AccountKey(tx.SourceAccount)
	if !ok {
		return hash, srcKey, fail(ErrBadSignature, "source account is not an ed25519 account")
	}
	keys := [][32]byte{srcKey}
	if op.SourceAccount != nil {
		opKey, ok := txenv.AccountKey(*op.SourceAccount)
		if !ok {
			return hash, srcKey, fail(ErrBadSignature, "operation source is not an ed25519 account")
		}
		if opKey != srcKey {
			keys = append(keys, opKey)
		}
	}
	hash, _ = env.Hash(networkID)
	for _, k := range keys {
		if env.SignedBy(hash, k) {
			continue
		}
		who := strkey.MustEncode(strkey.VersionByteAccountID, k[:])
		for _, other := range knownNetworks {
			if other == passphrase {
				continue
			}
			if h, _ := env.Hash(txenv.NetworkID(other)); env.SignedBy(h, k) {
				return hash, srcKey, fail(ErrWrongNetwork, "transaction is signed for %q, %q is expected", other, passphrase)
			}
		}
		return hash, srcKey, fail(ErrBadSignature, "no valid signature by %s for network %q", who, passphrase)
	}
	return hash, srcKey, nil
}

// RequestID returns the payment request id an envelope names in its
// MEMO_HASH, so that a payment endpoint that receives only the envelope
// (a SEP-7 callback) can look up the request to Verify it against. It
// refuses what Verify would refuse for size, encoding, type or memo.
func RequestID(b64 string) ([32]byte, error) {
	_, v1, err := decodeV1(b64)
	if err != nil {
		return [32]byte{}, err
	}
	if m := v1.Tx.Memo; m.Type == xdr.MemoTypeMemoHash && m.Hash != nil {
		return *m.Hash, nil
	}
	return [32]byte{}, fail(ErrMemo, "memo must be MEMO_HASH of the payment request id")
}

// decodeV1 decodes a v1 envelope or returns the refusal.
func decodeV1(b64 string) (*txenv.Envelope, *xdr.TransactionV1Envelope, error) {
	env, err := txenv.Decode(b64, MaxEnvelopeChars)
	switch {
	case errors.Is(err, txenv.ErrTooLarge):
		return nil, nil, fail(ErrTooLarge, "envelope has %d characters, at most %d are accepted", len(b64), MaxEnvelopeChars)
	case err != nil:
		return nil, nil, fail(ErrMalformed, "not a base64 XDR transaction envelope")
	}
	v1, err := env.V1()
	if err != nil {
		return nil, nil, fail(ErrNotV1, "envelope type %s: send a plain v1 transaction (no fee bump)", env.XDR.Type)
	}
	return env, v1, nil
}
