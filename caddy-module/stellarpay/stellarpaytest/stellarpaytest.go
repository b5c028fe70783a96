// Package stellarpaytest builds signed Stellar transaction envelopes for
// tests, with every field under the test's control (wrong memo, extra
// operation, other signer, fee-bump wrapper, ...), using the SDK's txnbuild.
package stellarpaytest

import (
	"crypto/sha256"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// Passphrase is the network passphrase the tests use.
const Passphrase = "TorPlus Test Network ; 2026"

// The named accounts the tests share.
var (
	// Payer pays.
	Payer = Key("payer")
	// Operator is the site operator's account, the destination of payments.
	Operator = Key("operator")
	// Issuer issues TPT.
	Issuer = Key("issuer")
	// Stranger is any other account.
	Stranger = Key("stranger")
)

// Key returns a deterministic key pair derived from name, so that the same
// name gives the same account in every run (and in fuzz seeds).
func Key(name string) *keypair.Full {
	kp, err := keypair.FromRawSeed(sha256.Sum256([]byte("stellarpaytest:" + name)))
	if err != nil {
		panic(err) // cannot happen: every 32-byte seed is valid
	}
	return kp
}

// Tx describes a transaction to build.
type Tx struct {
	// Source is the transaction's source account.
	Source *keypair.Full
	// Sequence is the transaction's sequence number (the account's + 1).
	Sequence int64
	// Ops are the operations.
	Ops []txnbuild.Operation
	// Memo, nil for none.
	Memo txnbuild.Memo
	// TimeBounds; the zero value means none (max_time 0).
	TimeBounds txnbuild.TimeBounds
	// BaseFee per operation; 100 when zero.
	BaseFee int64
	// Passphrase to sign for; Passphrase when empty.
	Passphrase string
	// Signers sign the transaction; Source alone when nil.
	Signers []*keypair.Full
	// FeeBump wraps the signed transaction in a fee bump paid by Source.
	FeeBump bool
}

// Envelope builds, signs and encodes tx as base64 XDR.
func (tx Tx) Envelope() (string, error) {
	fee := tx.BaseFee
	if fee == 0 {
		fee = txnbuild.MinBaseFee
	}
	pass := tx.Passphrase
	if pass == "" {
		pass = Passphrase
	}
	signers := tx.Signers
	if signers == nil {
		signers = []*keypair.Full{tx.Source}
	}
	tb := tx.TimeBounds
	if tb == (txnbuild.TimeBounds{}) {
		tb = txnbuild.NewInfiniteTimeout()
	}
	t, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: tx.Source.Address(), Sequence: tx.Sequence - 1},
		IncrementSequenceNum: true,
		Operations:           tx.Ops,
		BaseFee:              fee,
		Memo:                 tx.Memo,
		Preconditions:        txnbuild.Preconditions{TimeBounds: tb},
	})
	if err != nil {
		return "", err
	}
	if t, err = t.Sign(pass, signers...); err != nil {
		return "", err
	}
	if !tx.FeeBump {
		return t.Base64()
	}
	fb, err := txnbuild.NewFeeBumpTransaction(txnbuild.FeeBumpTransactionParams{Inner: t, FeeAccount: tx.Source.Address(), BaseFee: 2 * fee})
	if err != nil {
		return "", err
	}
	if fb, err = fb.Sign(pass, tx.Source); err != nil {
		return "", err
	}
	return fb.Base64()
}

// MustEnvelope is Envelope failing the test on error.
func MustEnvelope(tb testing.TB, tx Tx) string {
	tb.Helper()
	s, err := tx.Envelope()
	if err != nil {
		tb.Fatalf("building envelope: %v", err)
	}
	return s
}

// Pay returns a payment of amount (decimal) of code:issuer to dest; an
// empty code pays XLM.
func Pay(dest, code, issuer, amount string) *txnbuild.Payment {
	var asset txnbuild.Asset = txnbuild.NativeAsset{}
	if code != "" {
		asset = txnbuild.CreditAsset{Code: code, Issuer: issuer}
	}
	return &txnbuild.Payment{Destination: dest, Amount: amount, Asset: asset}
}

// WithForgedSignatures returns the envelope b64 with n forged signatures
// put in front of its own, each carrying the hint of signer's key (and 64
// bytes that are no signature): an envelope a verifier that tries every
// matching signature pays n extra ed25519 checks for.
func WithForgedSignatures(tb testing.TB, b64 string, signer *keypair.Full, n int) string {
	tb.Helper()
	var env xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(b64, &env); err != nil || env.V1 == nil {
		tb.Fatalf("not a v1 envelope: %v", err)
	}
	forged := make([]xdr.DecoratedSignature, 0, n+len(env.V1.Signatures))
	for i := range n {
		sig := make([]byte, 64)
		sig[0] = byte(i + 1)
		forged = append(forged, xdr.DecoratedSignature{Hint: xdr.SignatureHint(signer.Hint()), Signature: sig})
	}
	env.V1.Signatures = append(forged, env.V1.Signatures...)
	out, err := xdr.MarshalBase64(env)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
