package simledger

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

var (
	// ErrMalformed means the submission is not a decodable envelope
	// (Horizon answers it with transaction_malformed, no result codes).
	ErrMalformed = errors.New("simledger: malformed transaction")
	// ErrRejected is wrapped by every *Rejection.
	ErrRejected = errors.New("simledger: transaction rejected")
)

// Codes are Horizon's result codes: the transaction's ("tx_success",
// "tx_bad_seq", ...) and, for tx_failed, one per operation.
type Codes struct {
	Tx  string   `json:"transaction"`
	Ops []string `json:"operations,omitempty"`
}

// Rejection is the error for a transaction that did not succeed. It
// wraps ErrRejected.
type Rejection struct {
	Codes Codes
	// Hash is the transaction hash (hex); empty when it could not be computed.
	Hash string
	// Included is true for tx_failed: the ledger took the fee and the
	// sequence number, and the transaction is in its history.
	Included bool
}

func (r *Rejection) Error() string {
	if len(r.Codes.Ops) == 0 {
		return "simledger: transaction rejected: " + r.Codes.Tx
	}
	return fmt.Sprintf("simledger: transaction rejected: %s (%s)", r.Codes.Tx, strings.Join(r.Codes.Ops, ", "))
}

// Unwrap makes errors.Is(r, ErrRejected) hold.
func (r *Rejection) Unwrap() error { return ErrRejected }

func reject(tx string, ops ...string) *Rejection { return &Rejection{Codes: Codes{Tx: tx, Ops: ops}} }

// Submit applies a base64 transaction envelope and returns its result.
// A transaction whose hash the ledger already holds is not applied again:
// Submit returns the stored result with duplicate set (and, if it failed,
// its Rejection again). A refused transaction yields a *Rejection; one that
// failed in an operation (tx_failed) yields both the included result and
// a *Rejection with Included set. Bad input yields ErrMalformed.
func (l *Ledger) Submit(b64 string) (res *TxResult, duplicate bool, err error) {
	env, err := txenv.Decode(b64, MaxEnvelopeChars)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	v1, err := env.V1()
	if err != nil {
		return nil, false, reject("tx_not_supported")
	}
	hash, _ := env.Hash(l.networkID)
	hexHash := hex.EncodeToString(hash[:])

	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.txs[hash]; ok {
		c := *prev
		if !prev.Successful {
			return &c, true, &Rejection{Codes: prev.Codes, Hash: hexHash, Included: true}
		}
		return &c, true, nil
	}
	tb, rej := l.checkValid(env, v1, hash)
	if rej != nil {
		rej.Hash = hexHash
		return nil, false, rej
	}

	// Included from here on: the fee and the sequence number are taken
	// whatever the operations do.
	tx := &v1.Tx
	srcKey, _ := txenv.AccountKey(tx.SourceAccount)
	src := l.accounts[srcKey]
	fee := l.baseFee * int64(len(tx.Operations))
	l.number++
	src.native -= fee
	src.seq = int64(tx.SeqNum)
	src.lastModified = l.number

	st := &state{l: l, touched: map[[32]byte]*account{}}
	opCodes, ok := st.applyAll(tx)
	codes := Codes{Tx: "tx_failed", Ops: opCodes}
	if ok {
		st.commit()
		codes.Tx = "tx_success"
	}
	res = &TxResult{
		Hash: hexHash, Ledger: l.number, CloseTime: l.now().UTC(), Successful: ok,
		Source: encodeAddress(srcKey), Sequence: int64(tx.SeqNum), FeeCharged: fee, MaxFee: int64(tx.Fee),
		OperationCount: len(tx.Operations), Envelope: b64, Codes: codes,
	}
	if tx.Memo.Type == xdr.MemoTypeMemoHash && tx.Memo.Hash != nil {
		res.MemoHash = append([]byte(nil), tx.Memo.Hash[:]...)
	}
	if tb != nil {
		res.MinTime, res.MaxTime = uint64(tb.MinTime), uint64(tb.MaxTime)
	}
	for _, s := range v1.Signatures {
		res.Signatures = append(res.Signatures, base64.StdEncoding.EncodeToString(s.Signature))
	}
	l.txs[hash] = res
	c := *res
	if !ok {
		return &c, false, &Rejection{Codes: codes, Hash: hexHash, Included: true}
	}
	return &c, false, nil
}

// checkValid does stellar-core's validity checks, which refuse a
// transaction without including it. It returns the time bounds, if any.
func (l *Ledger) checkValid(env *txenv.Envelope, v1 *xdr.TransactionV1Envelope, hash [32]byte) (*xdr.TimeBounds, *Rejection) {
	tx := &v1.Tx
	if len(tx.Operations) == 0 {
		return nil, reject("tx_missing_operation")
	}
	tb, rej := timeBounds(tx.Cond)
	if rej != nil {
		return nil, rej
	}
	if tb != nil {
		now := l.now().Unix()
		if now < int64(tb.MinTime) {
			return nil, reject("tx_too_early")
		}
		if tb.MaxTime != 0 && now > int64(tb.MaxTime) {
			return nil, reject("tx_too_late")
		}
	}
	if int64(tx.Fee) < l.baseFee*int64(len(tx.Operations)) {
		return nil, reject("tx_insufficient_fee")
	}
	srcKey, ok := txenv.AccountKey(tx.SourceAccount)
	src := l.accounts[srcKey]
	if !ok || src == nil {
		return nil, reject("tx_no_source_account")
	}
	if int64(tx.SeqNum) != src.seq+1 {
		return nil, reject("tx_bad_seq")
	}
	signed := signers(v1, hash)
	if !signed.has(srcKey) {
		return nil, reject("tx_bad_auth")
	}
	ops := make([]string, len(tx.Operations))
	failed := false
	for i, op := range tx.Operations {
		ops[i] = "op_success"
		if op.SourceAccount == nil {
			continue
		}
		key, ok := txenv.AccountKey(*op.SourceAccount)
		switch {
		case !ok || l.accounts[key] == nil:
			ops[i], failed = "op_no_source_account", true
		case !signed.has(key):
			ops[i], failed = "op_bad_auth", true
		}
	}
	if failed {
		return nil, reject("tx_failed", ops...)
	}
	if signed.unused > 0 {
		return nil, reject("tx_bad_auth_extra")
	}
	if src.native < l.baseFee*int64(len(tx.Operations)) {
		return nil, reject("tx_insufficient_balance")
	}
	return tb, nil
}

func timeBounds(c xdr.Preconditions) (*xdr.TimeBounds, *Rejection) {
	switch c.Type {
	case xdr.PreconditionTypePrecondNone:
		return nil, nil
	case xdr.PreconditionTypePrecondTime:
		return c.TimeBounds, nil
	case xdr.PreconditionTypePrecondV2:
		v2 := c.V2
		if v2.LedgerBounds != nil || v2.MinSeqNum != nil || v2.MinSeqAge != 0 || v2.MinSeqLedgerGap != 0 || len(v2.ExtraSigners) > 0 {
			return nil, reject("tx_not_supported")
		}
		return v2.TimeBounds, nil
	}
	return nil, reject("tx_malformed")
}

// signedKeys lists the keys with a valid signature and counts the
// signatures that match no key.
type signedKeys struct {
	keys   [][32]byte
	unused int
}

func (s signedKeys) has(k [32]byte) bool {
	for _, x := range s.keys {
		if x == k {
			return true
		}
	}
	return false
}

// signers checks every signature against the keys of the transaction and
// operation source accounts (the only signers of a master-key-only ledger).
func signers(v1 *xdr.TransactionV1Envelope, hash [32]byte) signedKeys {
	candidates := make([][32]byte, 0, 1+len(v1.Tx.Operations))
	if k, ok := txenv.AccountKey(v1.Tx.SourceAccount); ok {
		candidates = append(candidates, k)
	}
	for _, op := range v1.Tx.Operations {
		if op.SourceAccount != nil {
			if k, ok := txenv.AccountKey(*op.SourceAccount); ok {
				candidates = append(candidates, k)
			}
		}
	}
	var out signedKeys
	for _, sig := range v1.Signatures {
		matched := false
		for _, k := range candidates {
			if txenv.SignatureValid(sig, hash, k) {
				if !out.has(k) {
					out.keys = append(out.keys, k)
				}
				matched = true
				break
			}
		}
		if !matched {
			out.unused++
		}
	}
	return out
}
