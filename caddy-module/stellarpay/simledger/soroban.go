package simledger

import (
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// Why a Soroban invocation failed; a *Rejection for it matches one of
// these with errors.Is (besides ErrRejected).
var (
	// ErrNoContract means the invoked contract is not a deployed SAC.
	ErrNoContract = errors.New("simledger: no such contract")
	// ErrUnsupported means a SAC function or an address kind the ledger
	// does not implement (only transfer and balance, of accounts).
	ErrUnsupported = errors.New("simledger: unsupported invocation")
	// ErrFootprint means the call touched a key its footprint lacks.
	ErrFootprint = errors.New("simledger: footprint is missing an entry")
	// ErrResourceFee means the declared resource fee is too low.
	ErrResourceFee = errors.New("simledger: resource fee too low")
	// ErrAuthMissing means an address that must authorize the call did not.
	ErrAuthMissing = errors.New("simledger: authorization missing")
	// ErrAuthUnused means an authorization entry matches nothing the call
	// required (the ledger refuses it rather than ignore a signature).
	ErrAuthUnused = errors.New("simledger: authorization entry not used")
	// ErrAuthExpired means the signature expiration ledger has passed.
	ErrAuthExpired = errors.New("simledger: authorization expired")
	// ErrNonceUsed means the credential's nonce was used before.
	ErrNonceUsed = errors.New("simledger: authorization nonce already used")
	// ErrTrustline means a holder has no trustline to the asset.
	ErrTrustline = errors.New("simledger: trustline missing")
	// ErrBalance means the payer holds less than the amount.
	ErrBalance = errors.New("simledger: balance too low")
	// ErrLineFull means the payee's trustline limit would be exceeded.
	ErrLineFull = errors.New("simledger: trustline limit exceeded")
)

// execution is what running one contract call produced and needed.
type execution struct {
	ret       xdr.ScVal
	events    []sac.Event
	readOnly  []xdr.LedgerKey
	readWrite []xdr.LedgerKey
	// auth lists the addresses whose authorization the call requires.
	auth []sac.Address
}

// execute runs a SAC call on the working state s.
func (s *state) execute(c *xdr.InvokeContractArgs) (*execution, error) {
	contract, fn, err := sac.ParseCall(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	asset, ok := s.l.contracts[contract]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoContract, sac.Address{Contract: true, Key: contract})
	}
	ex := &execution{readOnly: []xdr.LedgerKey{InstanceKey(contract)}}
	switch fn {
	case sac.FnBalance:
		_, id, err := sac.ParseBalance(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		bal, key, err := s.holding(id, asset)
		if err != nil {
			return nil, err
		}
		ex.readOnly = append(ex.readOnly, key)
		ex.ret = sac.I128(bal)
		return ex, nil
	case sac.FnTransfer:
		t, err := sac.ParseTransfer(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return ex, s.transfer(ex, t, asset)
	}
	return nil, fmt.Errorf("%w: SAC function %q", ErrUnsupported, fn)
}

// holding returns what holder a has of asset and the key that holds it.
func (s *state) holding(a sac.Address, asset Asset) (int64, xdr.LedgerKey, error) {
	if a.Contract {
		return 0, xdr.LedgerKey{}, fmt.Errorf("%w: contract balances", ErrUnsupported)
	}
	acct := s.get(a.Key)
	if acct == nil {
		return 0, xdr.LedgerKey{}, fmt.Errorf("%w: account %s does not exist", ErrTrustline, a.Base())
	}
	if asset.Native() {
		return acct.native, AccountKey(a.Key), nil
	}
	ln := acct.lines[asset]
	if ln == nil {
		return 0, xdr.LedgerKey{}, fmt.Errorf("%w: %s to %s", ErrTrustline, a.Base(), asset)
	}
	return ln.balance, TrustlineKey(a.Key, asset), nil
}

// transfer moves t.Amount from t.From to t.To: a mint when the issuer pays,
// a burn when it is paid, as a SAC of a classic asset does.
func (s *state) transfer(ex *execution, t sac.Transfer, asset Asset) error {
	if t.From.Contract || t.To.Contract {
		return fmt.Errorf("%w: contract balances", ErrUnsupported)
	}
	ex.auth = []sac.Address{t.From}
	from, to := t.From.Base(), t.To.Base()
	issuer, _ := decodeAddress(asset.Issuer)
	ev := sac.Event{Type: sac.EventTransfer, Contract: t.Contract, From: from, To: to, Amount: t.Amount, Asset: asset.xdr().StringCanonical()}
	if t.To.Muxed {
		ev.Dest = &sac.DestinationID{Kind: sac.DestID, ID: t.To.ID}
	}
	fromIssuer := !asset.Native() && from.Key == issuer
	toIssuer := !asset.Native() && to.Key == issuer
	switch {
	case fromIssuer && toIssuer:
		return fmt.Errorf("%w: the issuer paying itself", ErrUnsupported)
	case fromIssuer:
		ev.Type, ev.From = sac.EventMint, sac.Address{}
		ex.readOnly = append(ex.readOnly, AccountKey(issuer))
	case toIssuer:
		ev.Type, ev.To, ev.Dest = sac.EventBurn, sac.Address{}, nil
		ex.readOnly = append(ex.readOnly, AccountKey(issuer))
	}
	if !fromIssuer {
		bal, key, err := s.holding(from, asset)
		if err != nil {
			return err
		}
		ex.readWrite = append(ex.readWrite, key)
		avail := bal
		if asset.Native() {
			avail -= s.l.minBalance(s.get(from.Key))
		}
		if avail < t.Amount {
			return fmt.Errorf("%w: %s holds %d, %d to pay", ErrBalance, from, bal, t.Amount)
		}
	}
	if !toIssuer {
		bal, key, err := s.holding(to, asset)
		if err != nil {
			return err
		}
		ex.readWrite = append(ex.readWrite, key)
		limit := maxAmount
		if !asset.Native() {
			limit = s.get(to.Key).lines[asset].limit
		}
		if bal > limit-t.Amount {
			return fmt.Errorf("%w: %s", ErrLineFull, to)
		}
	}
	s.move(from.Key, -t.Amount, asset, !fromIssuer)
	s.move(to.Key, t.Amount, asset, !toIssuer)
	ex.events = []sac.Event{ev}
	ex.ret = xdr.ScVal{Type: xdr.ScValTypeScvVoid}
	return nil
}

// move adds delta to key's holding of asset when tracked is set (an
// issuer's holding of its own asset is not).
func (s *state) move(key [32]byte, delta int64, asset Asset, tracked bool) {
	if !tracked {
		return
	}
	a := s.get(key)
	if asset.Native() {
		a.native += delta
		return
	}
	a.lines[asset].balance += delta
}
