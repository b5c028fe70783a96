package stellarpay

import (
	"encoding/hex"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// MaxEnvelopeChars caps the base64 envelope Verify accepts. A one-payment
// transaction with a few signatures is under 600 characters.
const MaxEnvelopeChars = 4096

// Payment is a verified payment, ready to settle.
type Payment struct {
	// Envelope is the base64 envelope as received.
	Envelope string
	// Hash is the transaction hash on the expected network.
	Hash [32]byte
	// SourceKey is the paying account's ed25519 key; Source renders it.
	SourceKey [32]byte
	// Amount paid (≥ the requested amount).
	Amount payreq.Amount
	// ID is the payment request id (the memo hash).
	ID payreq.ID
	// MaxTime is the transaction's upper time bound: after it the
	// transaction can never be applied.
	MaxTime time.Time
	// Ledger is, for a SAC payment, the latest closed ledger when
	// VerifySAC checked it: where FindAuthorization starts looking for
	// the transaction that applied it once its nonce's entry is gone.
	Ledger uint32
}

// Source returns the paying account's address (G...).
func (p *Payment) Source() string {
	return strkey.MustEncode(strkey.VersionByteAccountID, p.SourceKey[:])
}

// HashHex returns the transaction hash as lowercase hex, as Horizon shows it.
func (p *Payment) HashHex() string { return hex.EncodeToString(p.Hash[:]) }

// Verify checks a base64 transaction envelope against the payment request
// exp at time now, offline: size, v1 envelope, one payment operation,
// destination, asset code and issuer, amount (exp.Amount, in stroops),
// memo hash (exp.ID), time bounds and the signatures of the source
// accounts on exp's network. It returns the first refusal found as an
// *Error.
//
// What ordinary wallets send is accepted where it is safe:
//   - a payment or a strict-receive path payment (what SEP-7 tells a wallet
//     paying from another asset to use): both fix the amount of TPT that
//     reaches the payee, which is all we check. Whatever the payer sends
//     along the path is the payer's business.
//   - no max_time (the SDK's TimeoutInfinite), or a max_time past the
//     request's expiry: a late landing is seen on the ledger and recorded,
//     not lost. Payment.MaxTime is then the request's expiry, so the
//     settlement stops resubmitting it there.
//
// Still refused, each for its reason:
//   - a strict-send path payment (ErrNotPayment): it fixes what leaves the
//     payer, and what reaches the payee is known only once applied, so it
//     cannot be checked offline;
//   - any other operation, or more than one (ErrNotPayment,
//     ErrOperationCount): the transaction must do nothing but pay;
//   - a min_time in the future, a max_time already past, or preconditions
//     other than time bounds (ErrTimeBounds): the transaction could not
//     land now, or could be held back by conditions we do not check;
//   - a fee bump (ErrNotV1), another memo (ErrMemo), too little
//     (ErrAmount), another payee, asset or network.
//
// At most one ed25519 verification is made per required signer (the
// transaction's source and the operation's, so two at most), whatever the
// envelope holds: a flood of envelopes with many bad signatures costs no
// more than one honest payment each.
func Verify(b64 string, exp *payreq.Request, now time.Time) (*Payment, error) {
	env, v1, err := decodeV1(b64)
	if err != nil {
		return nil, err
	}
	tx := &v1.Tx
	if len(tx.Operations) != 1 {
		return nil, fail(ErrOperationCount, "transaction has %d operations, exactly one payment is expected", len(tx.Operations))
	}
	op := &tx.Operations[0]
	pay, err := delivery(op)
	if err != nil {
		return nil, err
	}
	keys, err := keysFor(exp)
	if err != nil {
		return nil, err
	}
	if err := checkPaymentOp(pay, exp, keys); err != nil {
		return nil, err
	}
	if tx.Memo.Type != xdr.MemoTypeMemoHash || tx.Memo.Hash == nil || payreq.ID(*tx.Memo.Hash) != exp.ID {
		return nil, fail(ErrMemo, "memo must be MEMO_HASH %x (the payment request id)", exp.ID[:])
	}
	maxTime, err := checkTimeBounds(tx.Cond, exp, now)
	if err != nil {
		return nil, err
	}
	hash, srcKey, err := checkSignatures(env, v1, op, keys.networkID, exp.NetworkPassphrase)
	if err != nil {
		return nil, err
	}
	return &Payment{Envelope: b64, Hash: hash, SourceKey: srcKey, Amount: payreq.Amount(pay.Amount), ID: exp.ID, MaxTime: maxTime}, nil
}

// delivery returns what op delivers to its destination: a payment's
// amount, or a strict-receive path payment's destination amount.
func delivery(op *xdr.Operation) (xdr.PaymentOp, error) {
	switch b := op.Body; {
	case b.Type == xdr.OperationTypePayment && b.PaymentOp != nil:
		return *b.PaymentOp, nil
	case b.Type == xdr.OperationTypePathPaymentStrictReceive && b.PathPaymentStrictReceiveOp != nil:
		pp := b.PathPaymentStrictReceiveOp
		return xdr.PaymentOp{Destination: pp.Destination, Asset: pp.DestAsset, Amount: pp.DestAmount}, nil
	case b.Type == xdr.OperationTypePathPaymentStrictSend:
		return xdr.PaymentOp{}, fail(ErrNotPayment, "a strict-send path payment fixes what the payer sends, not what the payee receives: pay with a payment or a strict-receive path payment")
	}
	return xdr.PaymentOp{}, fail(ErrNotPayment, "operation is %s, a payment is expected", op.Body.Type)
}

func checkPaymentOp(pay xdr.PaymentOp, exp *payreq.Request, keys *expectedKeys) error {
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
	if payreq.Amount(pay.Amount) < exp.Amount {
		return fail(ErrAmount, "payment of %s %s is less than the %s requested",
			payreq.Amount(pay.Amount), exp.AssetCode, exp.Amount)
	}
	return nil
}

func checkTimeBounds(c xdr.Preconditions, exp *payreq.Request, now time.Time) (time.Time, error) {
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
	if tb == nil {
		tb = &xdr.TimeBounds{}
	}
	// No max_time, or one past the request's expiry: settlement stops at
	// the expiry; a later landing is recorded by the ledger watcher.
	maxTime := exp.ExpiresAt
	if mt := uint64(tb.MaxTime); mt != 0 && mt < uint64(exp.ExpiresAt.Unix()) {
		maxTime = time.Unix(int64(mt), 0)
	}
	switch {
	case tb.MaxTime != 0 && uint64(now.Unix()) > uint64(tb.MaxTime):
		return time.Time{}, fail(ErrTimeBounds, "transaction expired at max_time %d", uint64(tb.MaxTime))
	case uint64(tb.MinTime) > uint64(now.Unix()):
		return time.Time{}, fail(ErrTimeBounds, "transaction is not valid before min_time %d", uint64(tb.MinTime))
	}
	return maxTime, nil
}

// checkSignatures checks that every required signer (the transaction's
// source and the operation's, if another) signed the transaction hash on
// the request's network. For each signer only the first signature whose
// hint matches its key is verified: an honest payer signs once, and an
// envelope that carries twenty look-alike signatures (or signatures for
// other networks) gets no more ed25519 checks than one that carries one.
func checkSignatures(env *txenv.Envelope, v1 *xdr.TransactionV1Envelope, op *xdr.Operation, networkID [32]byte, passphrase string) (hash, srcKey [32]byte, err error) {
	srcKey, ok := txenv.AccountKey(v1.Tx.SourceAccount)
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
		if !signedOnce(v1.Signatures, hash, k) {
			who := strkey.MustEncode(strkey.VersionByteAccountID, k[:])
			return hash, srcKey, fail(ErrBadSignature, "no valid signature by %s for network %q (the first signature with its hint was checked)", who, passphrase)
		}
	}
	return hash, srcKey, nil
}

// signatureChecks counts the ed25519 verifications Verify made.
var signatureChecks atomic.Uint64

// SignatureChecks returns how many ed25519 signature verifications Verify
// has made in this process: what a flood of forged envelopes costs, for
// metrics and for the tests that bound it.
func SignatureChecks() uint64 { return signatureChecks.Load() }

// signedOnce verifies the first of sigs whose hint is key's, and no other.
func signedOnce(sigs []xdr.DecoratedSignature, hash, key [32]byte) bool {
	for _, s := range sigs {
		if [4]byte(s.Hint) == [4]byte(key[28:]) {
			signatureChecks.Add(1)
			return txenv.SignatureValid(s, hash, key)
		}
	}
	return false
}

// RequestID returns the payment request id an envelope names in its
// MEMO_HASH, so that a payment endpoint that receives only the envelope
// (a SEP-7 callback) can look up the request to Verify it against. It
// refuses what Verify would refuse for size, encoding, type or memo.
func RequestID(b64 string) (payreq.ID, error) {
	_, v1, err := decodeV1(b64)
	if err != nil {
		return payreq.ID{}, err
	}
	if m := v1.Tx.Memo; m.Type == xdr.MemoTypeMemoHash && m.Hash != nil {
		return payreq.ID(*m.Hash), nil
	}
	return payreq.ID{}, fail(ErrMemo, "memo must be MEMO_HASH of the payment request id")
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
