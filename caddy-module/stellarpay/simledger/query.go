package simledger

import (
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// AccountView is a snapshot of one account.
type AccountView struct {
	// Address is the account id (G...).
	Address string
	// Sequence is the last sequence number the account used.
	Sequence int64
	// Balances lists XLM first, then the trustlines sorted by asset.
	Balances []BalanceView
	// Subentries counts the account's trustlines.
	Subentries int
	// LastModified is the ledger that last changed the account.
	LastModified uint32
}

// BalanceView is one balance of an AccountView, in stroops.
type BalanceView struct {
	Asset
	Balance int64
	// Limit of the trustline; zero for XLM.
	Limit int64
}

// TxResult is a transaction the ledger included, successful or failed.
type TxResult struct {
	// Hash is the lowercase hex transaction hash.
	Hash string
	// Ledger is the number of the ledger that included it.
	Ledger uint32
	// CloseTime is when that ledger closed.
	CloseTime time.Time
	// Successful is false for a transaction included with tx_failed.
	Successful bool
	// Source is the transaction's source account.
	Source string
	// Sequence is the sequence number it consumed.
	Sequence int64
	// FeeCharged in stroops; MaxFee is what the envelope offered.
	FeeCharged, MaxFee int64
	// OperationCount is the number of operations.
	OperationCount int
	// Envelope is the base64 envelope as submitted.
	Envelope string
	// MemoHash is the 32-byte MEMO_HASH, or nil.
	MemoHash []byte
	// MinTime and MaxTime are the time bounds, as Unix seconds (0: none).
	MinTime, MaxTime uint64
	// Signatures are the envelope's signatures, base64.
	Signatures []string
	// Codes are the result codes (tx_success / tx_failed and per operation).
	Codes Codes
	// Index is the transaction's application order in its ledger (from 1).
	Index uint32
	// Soroban is set for a transaction invoking a contract.
	Soroban bool
	// ReturnValue is the contract call's return value, when it succeeded.
	ReturnValue *xdr.ScVal
	// Events are the token events it emitted.
	Events []EventRecord
	// Cause says why a contract call failed (see Rejection.Cause).
	Cause error
}

// Account returns a snapshot of the account with address addr.
func (l *Ledger) Account(addr string) (AccountView, error) {
	key, err := decodeAddress(addr)
	if err != nil {
		return AccountView{}, fmt.Errorf("%w: account %q: %v", ErrNotFound, addr, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.accounts[key]
	if !ok {
		return AccountView{}, fmt.Errorf("%w: account %s", ErrNotFound, addr)
	}
	v := AccountView{Address: addr, Sequence: a.seq, Subentries: len(a.lines), LastModified: a.lastModified}
	v.Balances = append(v.Balances, BalanceView{Balance: a.native})
	lines := make([]BalanceView, 0, len(a.lines))
	for asset, ln := range a.lines {
		lines = append(lines, BalanceView{Asset: asset, Balance: ln.balance, Limit: ln.limit})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Asset.String() < lines[j].Asset.String() })
	v.Balances = append(v.Balances, lines...)
	return v, nil
}

// Balance returns what addr holds of asset, in stroops. An issuer's balance
// of its own asset is not tracked and reports ErrNotFound, as does a missing
// trustline.
func (l *Ledger) Balance(addr string, asset Asset) (int64, error) {
	v, err := l.Account(addr)
	if err != nil {
		return 0, err
	}
	for _, b := range v.Balances {
		if b.Asset == asset {
			return b.Balance, nil
		}
	}
	return 0, fmt.Errorf("%w: %s has no trustline to %s", ErrNotFound, addr, asset)
}

// Transaction returns the included transaction with the given hex hash.
func (l *Ledger) Transaction(hash string) (*TxResult, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%w: transaction %q", ErrNotFound, hash)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tx, ok := l.txs[[32]byte(raw)]
	if !ok {
		return nil, fmt.Errorf("%w: transaction %s", ErrNotFound, hash)
	}
	c := *tx
	return &c, nil
}
