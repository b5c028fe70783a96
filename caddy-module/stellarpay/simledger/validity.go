package simledger

import (
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

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
	if rej := l.checkSoroban(tx); rej != nil {
		return nil, rej
	}
	if int64(tx.Fee) < l.feeFor(tx) {
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
	if src.native < l.feeFor(tx) {
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
