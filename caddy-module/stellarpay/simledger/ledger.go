// Package simledger is an in-process Stellar ledger: accounts with sequence
// numbers and XLM balances, trustlines to credit assets with balances and
// limits, and a history of applied transactions by hash. It settles real
// signed transaction envelopes and enforces what stellar-core enforces for
// them: signatures of the source accounts, sequence numbers, time bounds,
// fees, reserves, trustlines, limits and balances, with the same result codes
// (tx_bad_seq, op_underfunded, op_no_trust, ...).
//
// It is the core of two things: the stellarpay "offline" settlement backend
// (the embedded default for demos and development) and internal/horizonsim,
// a simulated Horizon server over HTTP used by the tests.
//
// Limits: one master key per account (no multisig or thresholds), the
// payment, create_account and change_trust operations, v1 envelopes only;
// anything else is refused with tx_not_supported or op_not_supported.
package simledger

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/amount"
	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// Defaults used when a Genesis leaves a field zero.
const (
	// DefaultBaseFee is the minimum fee per operation, in stroops.
	DefaultBaseFee = 100
	// DefaultBaseReserve is the reserve per ledger entry, in stroops (0.5 XLM).
	DefaultBaseReserve = 5_000_000
	// MaxEnvelopeChars caps a submitted base64 envelope, as Horizon does.
	MaxEnvelopeChars = 100 * 1024
)

// Errors for queries and configuration.
var (
	// ErrNotFound means no account or transaction has that id.
	ErrNotFound = errors.New("simledger: not found")
	// ErrGenesis means the seed configuration is invalid.
	ErrGenesis = errors.New("simledger: invalid genesis")
)

// Asset names a credit asset by code and issuer address; the zero Asset is
// the native asset (XLM).
type Asset struct {
	Code   string `json:"asset_code"`
	Issuer string `json:"asset_issuer"`
}

// Native reports whether a is XLM.
func (a Asset) Native() bool { return a.Code == "" }

// String renders a as Horizon does: "native" or "CODE:ISSUER".
func (a Asset) String() string {
	if a.Native() {
		return "native"
	}
	return a.Code + ":" + a.Issuer
}

// Genesis seeds a ledger. Amounts are decimal strings with at most seven
// decimal places, as everywhere on Stellar.
type Genesis struct {
	// NetworkPassphrase the ledger accepts signatures for.
	NetworkPassphrase string `json:"network_passphrase"`
	// BaseFee per operation in stroops; DefaultBaseFee when zero.
	BaseFee int64 `json:"base_fee,omitempty"`
	// BaseReserve per entry in stroops; DefaultBaseReserve when zero.
	BaseReserve int64 `json:"base_reserve,omitempty"`
	// Accounts that exist from the start.
	Accounts []AccountSpec `json:"accounts"`
	// AssetContracts are the credit assets whose Stellar Asset Contract is
	// deployed from the start (contract id: ContractID).
	AssetContracts []Asset `json:"asset_contracts,omitempty"`
}

// AccountSpec is one account of a Genesis.
type AccountSpec struct {
	// Address is the account id (G...).
	Address string `json:"address"`
	// Balance is the XLM balance, e.g. "100".
	Balance string `json:"balance"`
	// Trustlines the account holds from the start.
	Trustlines []TrustlineSpec `json:"trustlines,omitempty"`
}

// TrustlineSpec is one trustline of an AccountSpec.
type TrustlineSpec struct {
	Asset
	// Balance held, e.g. "25.5"; "0" when empty.
	Balance string `json:"balance,omitempty"`
	// Limit of the line; the maximum when empty.
	Limit string `json:"limit,omitempty"`
}

// Ledger is the ledger state. It is safe for concurrent use; submissions
// are applied one at a time, each closing a ledger.
type Ledger struct {
	mu          sync.Mutex
	passphrase  string
	networkID   [32]byte
	baseFee     int64
	baseReserve int64
	now         func() time.Time
	number      uint32
	accounts    map[[32]byte]*account
	txs         map[[32]byte]*TxResult
	contracts   map[[32]byte]Asset
	nonces      map[nonceKey]NonceEntry
	events      []EventRecord
}

type account struct {
	seq          int64
	native       int64
	lines        map[Asset]*line
	lastModified uint32
}

type line struct{ balance, limit int64 }

func (a *account) clone() *account {
	c := *a
	c.lines = make(map[Asset]*line, len(a.lines))
	for k, v := range a.lines {
		l := *v
		c.lines[k] = &l
	}
	return &c
}

// New builds a ledger from g. now is the ledger's clock (close times, time
// bounds); nil means time.Now.
func New(g Genesis, now func() time.Time) (*Ledger, error) {
	if g.NetworkPassphrase == "" {
		return nil, fmt.Errorf("%w: network_passphrase is required", ErrGenesis)
	}
	if now == nil {
		now = time.Now
	}
	l := &Ledger{
		passphrase:  g.NetworkPassphrase,
		networkID:   txenv.NetworkID(g.NetworkPassphrase),
		baseFee:     orDefault(g.BaseFee, DefaultBaseFee),
		baseReserve: orDefault(g.BaseReserve, DefaultBaseReserve),
		now:         now,
		number:      2,
		accounts:    map[[32]byte]*account{},
		txs:         map[[32]byte]*TxResult{},
		contracts:   map[[32]byte]Asset{},
		nonces:      map[nonceKey]NonceEntry{},
	}
	for _, spec := range g.Accounts {
		if err := l.seed(spec); err != nil {
			return nil, err
		}
	}
	for _, a := range g.AssetContracts {
		if _, err := decodeAddress(a.Issuer); err != nil || !validCode(a.Code) {
			return nil, fmt.Errorf("%w: asset contract of bad asset %s", ErrGenesis, a)
		}
		l.contracts[l.ContractID(a)] = a
	}
	return l, nil
}

func orDefault(v, d int64) int64 {
	if v == 0 {
		return d
	}
	return v
}

func (l *Ledger) seed(spec AccountSpec) error {
	key, err := decodeAddress(spec.Address)
	if err != nil {
		return fmt.Errorf("%w: account %q: %v", ErrGenesis, spec.Address, err)
	}
	if _, dup := l.accounts[key]; dup {
		return fmt.Errorf("%w: account %s listed twice", ErrGenesis, spec.Address)
	}
	native, err := parseAmount(spec.Balance, 0)
	if err != nil {
		return fmt.Errorf("%w: account %s balance: %v", ErrGenesis, spec.Address, err)
	}
	a := &account{seq: int64(l.number) << 32, native: native, lines: map[Asset]*line{}, lastModified: l.number}
	for _, t := range spec.Trustlines {
		if _, err := decodeAddress(t.Issuer); err != nil || !validCode(t.Code) {
			return fmt.Errorf("%w: account %s: bad asset %s", ErrGenesis, spec.Address, t.Asset)
		}
		if t.Issuer == spec.Address {
			return fmt.Errorf("%w: account %s cannot trust its own asset", ErrGenesis, spec.Address)
		}
		bal, err1 := parseAmount(t.Balance, 0)
		limit, err2 := parseAmount(t.Limit, maxAmount)
		if err := errors.Join(err1, err2); err != nil || bal > limit {
			return fmt.Errorf("%w: account %s trustline %s: balance %q limit %q", ErrGenesis, spec.Address, t.Asset, t.Balance, t.Limit)
		}
		a.lines[t.Asset] = &line{balance: bal, limit: limit}
	}
	if a.native < l.minBalance(a) {
		return fmt.Errorf("%w: account %s holds %s XLM, below its reserve %s", ErrGenesis, spec.Address,
			amount.StringFromInt64(a.native), amount.StringFromInt64(l.minBalance(a)))
	}
	l.accounts[key] = a
	return nil
}

const maxAmount = int64(^uint64(0) >> 1)

// parseAmount parses a decimal amount (at most 7 decimals, not negative);
// empty means def.
func parseAmount(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	v, err := amount.ParseInt64(s)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative amount %s", s)
	}
	return v, nil
}

func decodeAddress(addr string) ([32]byte, error) {
	var key [32]byte
	raw, err := strkey.Decode(strkey.VersionByteAccountID, addr)
	if err != nil {
		return key, err
	}
	copy(key[:], raw)
	return key, nil
}

func encodeAddress(key [32]byte) string {
	return strkey.MustEncode(strkey.VersionByteAccountID, key[:])
}

func validCode(code string) bool {
	if len(code) < 1 || len(code) > 12 {
		return false
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// minBalance is the reserve an account must keep: (2 + subentries) × base reserve.
func (l *Ledger) minBalance(a *account) int64 {
	return (2 + int64(len(a.lines))) * l.baseReserve
}

// NetworkPassphrase returns the passphrase the ledger accepts signatures for.
func (l *Ledger) NetworkPassphrase() string { return l.passphrase }

// BaseFee returns the minimum fee per operation in stroops.
func (l *Ledger) BaseFee() int64 { return l.baseFee }

// Number returns the number of the last closed ledger.
func (l *Ledger) Number() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.number
}

// ContractID returns the id of asset's Stellar Asset Contract on this
// network, deployed or not.
func (l *Ledger) ContractID(asset Asset) [32]byte {
	id, _ := sac.ContractID(asset.xdr(), l.passphrase)
	return id
}

// Contract returns the asset whose deployed SAC has id contract.
func (l *Ledger) Contract(contract [32]byte) (Asset, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.contracts[contract]
	return a, ok
}

// NonceEntry is the entry (sac.NonceKey) that marks an address
// credential's nonce as used.
type NonceEntry struct {
	// Ledger is the ledger whose transaction used the nonce (the entry's
	// last modification).
	Ledger uint32
	// LiveUntil is the credential's signature expiration ledger: the
	// network keeps the temporary entry until then and may delete it
	// after (the credential can no longer be applied anyway). This ledger
	// keeps it, so that it refuses the nonce for ever; the simulated RPC
	// stops answering it past LiveUntil, as the network may.
	LiveUntil uint32
}

// Nonce returns the entry of account addr's authorization nonce, if a
// transaction used it.
func (l *Ledger) Nonce(addr [32]byte, nonce int64) (NonceEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.nonces[nonceKey{addr, nonce}]
	return e, ok
}
