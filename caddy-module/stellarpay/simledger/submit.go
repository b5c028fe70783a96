package simledger

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// Submit applies a base64 transaction envelope in a ledger of its own and
// returns its result. A transaction whose hash the ledger already holds is
// not applied again: Submit returns the stored result with duplicate set
// (and, if it failed, its Rejection again). A refused transaction yields a
// *Rejection; one that failed in an operation (tx_failed) yields both the
// included result and a *Rejection with Included set. Bad input yields
// ErrMalformed.
func (l *Ledger) Submit(b64 string) (res *TxResult, duplicate bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, dup, err := l.admit(b64, l.number+1)
	if p == nil {
		return dup, dup != nil, err
	}
	l.number++
	return l.include(p, 1)
}

// Outcome is what became of one envelope of a Close.
type Outcome struct {
	// Result is the included transaction, or nil if it was refused.
	Result *TxResult
	// Duplicate is set when the ledger already held the transaction.
	Duplicate bool
	// Err is as for Submit.
	Err error
}

// Close closes one ledger holding the envelopes, applied in order, as a
// network does with the transactions queued since the last close. It
// closes a ledger even when envs is empty: ledgers close on a clock.
func (l *Ledger) Close(envs []string) []Outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.number++
	out := make([]Outcome, len(envs))
	var index uint32
	for i, b64 := range envs {
		p, dup, err := l.admit(b64, l.number)
		if p == nil {
			out[i] = Outcome{Result: dup, Duplicate: dup != nil, Err: err}
			continue
		}
		index++
		res, _, err := l.include(p, index)
		out[i] = Outcome{Result: res, Err: err}
	}
	return out
}

// Check runs the validity checks a node runs before it accepts a
// transaction into its queue (decoding, sequence, fees, signatures),
// against the ledger as it is now. It returns the transaction hash (hex).
func (l *Ledger) Check(b64 string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, dup, err := l.admit(b64, l.number+1)
	switch {
	case p != nil:
		return p.hexHash, nil
	case dup != nil:
		return dup.Hash, fmt.Errorf("%w: already included", ErrDuplicate)
	}
	return "", err
}

// ErrDuplicate means the transaction is already in the ledger.
var ErrDuplicate = errors.New("simledger: duplicate transaction")

// pending is a transaction that passed the validity checks.
type pending struct {
	b64     string
	v1      *xdr.TransactionV1Envelope
	hexHash string
	hash    [32]byte
	tb      *xdr.TimeBounds
}

// admit decodes b64 and checks it for inclusion in ledger number. It
// returns the pending transaction, or the stored result of a duplicate,
// or the refusal.
func (l *Ledger) admit(b64 string, number uint32) (*pending, *TxResult, error) {
	env, err := txenv.Decode(b64, MaxEnvelopeChars)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	v1, err := env.V1()
	if err != nil {
		return nil, nil, reject("tx_not_supported")
	}
	hash, _ := env.Hash(l.networkID)
	hexHash := hex.EncodeToString(hash[:])
	if prev, ok := l.txs[hash]; ok {
		c := *prev
		if !prev.Successful {
			return nil, &c, &Rejection{Codes: prev.Codes, Hash: hexHash, Included: true, Cause: prev.Cause}
		}
		return nil, &c, nil
	}
	tb, rej := l.checkValid(env, v1, hash)
	if rej != nil {
		rej.Hash = hexHash
		return nil, nil, rej
	}
	return &pending{b64: b64, v1: v1, hexHash: hexHash, hash: hash, tb: tb}, nil, nil
}

// include applies p in the ledger being closed (l.number) as its index-th
// transaction. The fee and the sequence number are taken whatever the
// operations do.
func (l *Ledger) include(p *pending, index uint32) (*TxResult, bool, error) {
	tx := &p.v1.Tx
	srcKey, _ := txenv.AccountKey(tx.SourceAccount)
	src := l.accounts[srcKey]
	fee := l.feeFor(tx)
	src.native -= fee
	src.seq = int64(tx.SeqNum)
	src.lastModified = l.number

	st := &state{l: l, touched: map[[32]byte]*account{}, memo: tx.Memo, txSource: srcKey, closing: l.number}
	if sd, ok := tx.Ext.GetSorobanData(); ok {
		st.footprint = newKeySet(sd.Resources.Footprint.ReadOnly, sd.Resources.Footprint.ReadWrite)
		st.footprintRO = newKeySet(sd.Resources.Footprint.ReadOnly)
	}
	opCodes, ok := st.applyAll(tx)
	codes := Codes{Tx: "tx_failed", Ops: opCodes}
	res := &TxResult{
		Hash: p.hexHash, Ledger: l.number, CloseTime: l.now().UTC(), Index: index,
		Source: encodeAddress(srcKey), Sequence: int64(tx.SeqNum), FeeCharged: fee, MaxFee: int64(tx.Fee),
		OperationCount: len(tx.Operations), Envelope: p.b64, Soroban: st.footprint != nil,
	}
	if ok {
		st.commit()
		codes.Tx = "tx_success"
		res.Successful, res.ReturnValue = true, st.ret
		res.Events = l.record(res, st.events)
	} else {
		res.Cause = st.cause
	}
	res.Codes = codes
	if tx.Memo.Type == xdr.MemoTypeMemoHash && tx.Memo.Hash != nil {
		res.MemoHash = append([]byte(nil), tx.Memo.Hash[:]...)
	}
	if p.tb != nil {
		res.MinTime, res.MaxTime = uint64(p.tb.MinTime), uint64(p.tb.MaxTime)
	}
	for _, s := range p.v1.Signatures {
		res.Signatures = append(res.Signatures, base64.StdEncoding.EncodeToString(s.Signature))
	}
	l.txs[p.hash] = res
	c := *res
	if !ok {
		return &c, false, &Rejection{Codes: codes, Hash: p.hexHash, Included: true, Cause: st.cause}
	}
	return &c, false, nil
}

// feeFor is what a valid transaction is charged: the base fee per
// operation, plus for a Soroban transaction its declared resource fee
// (the network refunds what the call did not use; this ledger's fee model
// is exact, so there is nothing to refund).
func (l *Ledger) feeFor(tx *xdr.Transaction) int64 {
	fee := l.baseFee * int64(len(tx.Operations))
	if sd, ok := tx.Ext.GetSorobanData(); ok {
		fee += int64(sd.ResourceFee)
	}
	return fee
}
