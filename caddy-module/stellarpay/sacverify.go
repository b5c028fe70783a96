package stellarpay

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/stellar/go-stellar-sdk/amount"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// Refusals of token-contract (SAC) payments, besides the kinds Verify uses.
var (
	// ErrContract means the transfer is on another contract than the
	// asset's SAC on the expected network.
	ErrContract = kind("wrong_contract", http.StatusBadRequest)
	// ErrAuthorization means the payer's authorization entry is missing,
	// is not an address credential of the payer for exactly this
	// transfer, or there are others.
	ErrAuthorization = kind("bad_authorization", http.StatusBadRequest)
	// ErrResourceFee means the transaction asks the hoster's fee account
	// for more than MaxSACResourceFee, or declares no Soroban data.
	ErrResourceFee = kind("resource_fee_too_high", http.StatusBadRequest)
)

// request is the payment request type VerifySAC checks against: the one
// Verify takes. paid converts a transfer's amount to Payment.Amount's type.
type request = payreq.Request

func paid(v int64) payreq.Amount { return payreq.Amount(v) }

// MaxSACResourceFee caps the resource fee of a SAC payment, in stroops:
// the hoster's fee account pays it, so a payer must not pick it freely.
// A SAC transfer costs well under 0.01 XLM on the public network.
const MaxSACResourceFee = 2_000_000

// LedgerTime relates ledger numbers to time, to check an authorization's
// expiration ledger against a request's expiry.
type LedgerTime struct {
	// Ledger is the last closed ledger's number, at Now.
	Ledger uint32
	// Now is the time of the check.
	Now time.Time
	// Close is the ledger close interval; 5 s when zero.
	Close time.Duration
}

// close is the ledger close interval, 5 s unless set.
func (lt LedgerTime) close() time.Duration {
	if lt.Close <= 0 {
		return 5 * time.Second
	}
	return lt.Close
}

// at estimates when ledger n closes.
func (lt LedgerTime) at(n uint32) time.Time {
	return lt.Now.Add(time.Duration(int64(n)-int64(lt.Ledger)) * lt.close())
}

// VerifySAC checks, offline, a transaction invoking transfer(from, to,
// amount) on the SAC of exp's asset: one InvokeHostFunction operation, the
// asset's contract on exp's network, the function, to = exp.Destination
// (muxed or not), amount ≥ exp.Amount, Soroban data with a resource fee
// the hoster will pay (≤ MaxSACResourceFee), and exactly one
// authorization entry: an address credential of from for exactly this
// call, signed by from over the network's HashIdPreimage, whose expiration
// ledger has not passed and closes no later than the request expires.
//
// The envelope's own source and signatures are ignored: the hoster
// rebuilds the transaction with its fee account as source (RPCSettler).
// So Payment.Hash is not a transaction hash but the payment's replay key,
// SHA-256 over the network, the payer and the credential's nonce: the
// network consumes a nonce once, and whoever records settlements records
// a Payment.Hash once, so one authorization pays at most once. SourceKey is the payer
// (from); MaxTime is the estimated close of the expiration ledger.
func VerifySAC(b64 string, exp *request, lt LedgerTime) (*Payment, error) {
	bp := envBuffers.Get().(*[]byte)
	defer envBuffers.Put(bp)
	d, err := decodeSAC(b64, *bp)
	if err != nil {
		return nil, err
	}
	switch {
	case d.envType != xdr.EnvelopeTypeEnvelopeTypeTx:
		return nil, fail(ErrNotV1, "envelope type %s: send a plain v1 transaction (no fee bump)", d.envType)
	case d.ops != 1:
		return nil, fail(ErrOperationCount, "transaction has %d operations, exactly one transfer is expected", d.ops)
	case !d.isCall:
		return nil, fail(ErrNotPayment, "operation is %s, a contract call of transfer is expected", d.opType)
	}
	keys, err := keysFor(exp)
	if err != nil {
		return nil, err
	}
	contract, err := sacOf(exp, keys)
	if err != nil {
		return nil, err
	}
	t, err := sac.ParseTransferXDR(d.callXDR)
	if t.Contract != contract {
		return nil, fail(ErrContract, "the call is not on %s's contract %s", exp.AssetCode, sac.Address{Contract: true, Key: contract})
	}
	if err != nil {
		return nil, fail(ErrNotPayment, "not a SAC transfer: %v", err)
	}
	if err := checkTransfer(t, exp, keys); err != nil {
		return nil, err
	}
	if !d.hasData || d.resourceFee < 0 || d.resourceFee > MaxSACResourceFee {
		return nil, fail(ErrResourceFee, "the transaction must carry Soroban data with a resource fee of at most %d stroops", MaxSACResourceFee)
	}
	if err := checkAuth(d, t.From); err != nil {
		return nil, err
	}
	maxTime, err := checkExpiration(d.expLedger, exp, lt)
	if err != nil {
		return nil, err
	}
	nonce := d.nonce
	payload := sac.AuthPayloadXDR(keys.networkID, nonce, d.expLedger, d.rootXDR)
	// One ed25519 check, whatever the envelope holds: a signature made for
	// another network is just a bad signature here (probing other networks
	// would let a flood of bad envelopes cost several checks each).
	if err := sac.CheckSignatureXDR(d.sigXDR, payload, t.From.Key); err != nil {
		return nil, fail(ErrBadSignature, "authorization of %s on network %q: %v", t.From, exp.NetworkPassphrase, err)
	}
	return &Payment{Envelope: b64, Hash: ReplayKey(keys.networkID, t.From.Key, nonce),
		SourceKey: t.From.Key, Amount: paid(t.Amount), ID: exp.ID, MaxTime: maxTime, Ledger: lt.Ledger}, nil
}

// ReplayKey is a SAC payment's Payment.Hash: what the network consumes
// once, the payer's nonce on one network.
func ReplayKey(networkID, payer [32]byte, nonce int64) [32]byte {
	const tag = "torplus sac nonce\x00"
	var b [len(tag) + 32 + 32 + 8]byte
	copy(b[:], tag)
	copy(b[len(tag):], networkID[:])
	copy(b[len(tag)+32:], payer[:])
	binary.BigEndian.PutUint64(b[len(tag)+64:], uint64(nonce))
	return sha256.Sum256(b[:])
}

func checkTransfer(t sac.Transfer, exp *request, keys *expectedKeys) error {
	switch {
	case exp.Amount <= 0:
		return fail(ErrExpectation, "expected amount %d is not positive", exp.Amount)
	case t.From.Contract:
		return fail(ErrAuthorization, "the payer must be an account, not a contract")
	case t.To.Contract || t.To.Key != keys.destKey:
		return fail(ErrDestination, "transfer must go to %s", exp.Destination)
	case t.Amount < int64(exp.Amount):
		return fail(ErrAmount, "transfer of %s %s is less than the %s requested",
			amount.StringFromInt64(t.Amount), exp.AssetCode, amount.StringFromInt64(int64(exp.Amount)))
	}
	return nil
}

// checkAuth checks that the one authorization entry is an address
// credential of from for exactly the call, with no sub-invocations.
func checkAuth(d *sacEnvelope, from sac.Address) error {
	if d.auths != 1 {
		return fail(ErrAuthorization, "%d authorization entries, exactly the payer's is expected", d.auths)
	}
	if d.credType != xdr.SorobanCredentialsTypeSorobanCredentialsAddress {
		return fail(ErrAuthorization, "the authorization must be an address credential of the payer")
	}
	if a, err := sac.AddressXDR(d.credAddr); err != nil || a != from {
		return fail(ErrAuthorization, "the authorization is not the payer's")
	}
	if d.fnType != xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn || d.subs != 0 {
		return fail(ErrAuthorization, "the authorization must cover exactly the transfer, nothing else")
	}
	if !bytes.Equal(d.fnXDR, d.callXDR) {
		return fail(ErrAuthorization, "the authorization is for another call than the transfer")
	}
	return nil
}

// expirationTolerance is how many ledgers an authorization may expire
// past the bound checkExpiration computes: a client computed the same
// bound a moment earlier, at a latest ledger that may not have moved
// since, so its ceil can be one more (two when its clock runs ahead), as
// the x402 Foundation's facilitator for Stellar allows too
// (SIGNATURE_EXPIRATION_LEDGER_TOLERANCE).
const expirationTolerance = 2

// checkExpiration checks an authorization's expiration ledger against
// the request's expiry as both standards bound it (draft-stellar-charge-00
// and x402's exact on Stellar): no later than the latest ledger plus the
// ledgers of lt's close time that cover the time left, rounded up, which
// is what a client that follows them signs, give or take
// expirationTolerance. It returns the estimated close of that ledger,
// which may fall a few ledgers after the expiry.
func checkExpiration(expLedger uint32, exp *request, lt LedgerTime) (time.Time, error) {
	if lt.Now.After(exp.ExpiresAt) {
		return time.Time{}, fail(ErrExpired, "payment request expired at %s", exp.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if expLedger <= lt.Ledger {
		return time.Time{}, fail(ErrTimeBounds, "authorization expired at ledger %d; ledger %d is closed", expLedger, lt.Ledger)
	}
	c := lt.close()
	if left := exp.ExpiresAt.Sub(lt.Now); uint64(expLedger-lt.Ledger) > uint64((left+c-1)/c)+expirationTolerance {
		return time.Time{}, fail(ErrTimeBounds, "authorization stays valid to ledger %d, past ledger %d + %d ledgers of %s to the request's expiry %s (+ %d)",
			expLedger, lt.Ledger, (left+c-1)/c, c, exp.ExpiresAt.UTC().Format(time.RFC3339), expirationTolerance)
	}
	return lt.at(expLedger), nil
}

// sacIDs caches the last asset's contract id, as keysFor caches the keys:
// deriving it costs an XDR encoding and a SHA-256.
type sacID struct {
	code, issuer, passphrase string
	id                       [32]byte
}

var lastSAC atomic.Pointer[sacID]

func sacOf(exp *request, keys *expectedKeys) ([32]byte, error) {
	if c := lastSAC.Load(); c != nil && c.code == exp.AssetCode && c.issuer == exp.AssetIssuer && c.passphrase == exp.NetworkPassphrase {
		return c.id, nil
	}
	asset, err := xdr.NewCreditAsset(exp.AssetCode, exp.AssetIssuer)
	if err != nil {
		return [32]byte{}, fail(ErrExpectation, "expected asset %s:%s: %v", exp.AssetCode, exp.AssetIssuer, err)
	}
	id, err := sac.ContractID(asset, exp.NetworkPassphrase)
	if err != nil {
		return [32]byte{}, fail(ErrExpectation, "contract id of %s: %v", exp.AssetCode, err)
	}
	lastSAC.Store(&sacID{code: exp.AssetCode, issuer: exp.AssetIssuer, passphrase: exp.NetworkPassphrase, id: id})
	return id, nil
}
