package simledger

import (
	"strings"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// state applies operations to copies of the accounts they touch, so that a
// failing operation leaves the ledger as it was (operations are atomic).
type state struct {
	l       *Ledger
	touched map[[32]byte]*account
	// txSource and memo are the transaction's, for authorization and for
	// the memo classic payments carry into their events.
	txSource [32]byte
	memo     xdr.Memo
	// footprint (all keys) and footprintRO (read-only keys) of a Soroban
	// transaction; nil for a classic one.
	footprint, footprintRO keySet
	// closing is the number of the ledger being closed.
	closing uint32
	// What applying produced: the return value, the events, the nonces
	// consumed, and why an invocation failed.
	ret    *xdr.ScVal
	events []opEvent
	nonces []usedNonce
	cause  error
}

// get returns the working copy of an account, or nil if it does not exist.
func (s *state) get(key [32]byte) *account {
	if a, ok := s.touched[key]; ok {
		return a
	}
	a, ok := s.l.accounts[key]
	if !ok {
		return nil
	}
	c := a.clone()
	s.touched[key] = c
	return c
}

func (s *state) commit() {
	for _, n := range s.nonces {
		s.l.nonces[n.key] = NonceEntry{Ledger: s.l.number, LiveUntil: n.liveUntil}
	}
	for k, a := range s.touched {
		if a == nil {
			continue
		}
		a.lastModified = s.l.number
		s.l.accounts[k] = a
	}
}

// applyAll runs the operations in order and stops at the first failure.
func (s *state) applyAll(tx *xdr.Transaction) ([]string, bool) {
	srcKey, _ := txenv.AccountKey(tx.SourceAccount)
	codes := make([]string, 0, len(tx.Operations))
	for i, op := range tx.Operations {
		key := srcKey
		if op.SourceAccount != nil {
			key, _ = txenv.AccountKey(*op.SourceAccount)
		}
		code := s.apply(key, op.Body, i)
		codes = append(codes, code)
		if code != "op_success" {
			return codes, false
		}
	}
	return codes, true
}

func (s *state) apply(src [32]byte, body xdr.OperationBody, opIndex int) string {
	switch body.Type {
	case xdr.OperationTypeInvokeHostFunction:
		return s.invoke(src, body.InvokeHostFunctionOp, opIndex)
	case xdr.OperationTypePayment:
		p := body.PaymentOp
		dst, ok := txenv.AccountKey(p.Destination)
		if !ok {
			return "op_malformed"
		}
		code := s.pay(src, dst, p.Asset, int64(p.Amount))
		if code == "op_success" {
			s.paymentEvent(src, p, opIndex)
		}
		return code
	case xdr.OperationTypeCreateAccount:
		c := body.CreateAccountOp
		dst, ok := txenv.IssuerKey(c.Destination)
		if !ok {
			return "op_malformed"
		}
		return s.createAccount(src, dst, int64(c.StartingBalance))
	case xdr.OperationTypeChangeTrust:
		c := body.ChangeTrustOp
		if c.Line.Type == xdr.AssetTypeAssetTypePoolShare {
			return "op_not_supported"
		}
		asset, ok := assetFromXDR(xdr.Asset{Type: c.Line.Type, AlphaNum4: c.Line.AlphaNum4, AlphaNum12: c.Line.AlphaNum12})
		if !ok || asset.Native() {
			return "op_malformed"
		}
		return s.changeTrust(src, asset, int64(c.Limit))
	}
	return "op_not_supported"
}

// assetFromXDR converts an xdr.Asset; ok is false for a malformed code or issuer.
func assetFromXDR(a xdr.Asset) (Asset, bool) {
	var code []byte
	var issuer xdr.AccountId
	switch {
	case a.Type == xdr.AssetTypeAssetTypeNative:
		return Asset{}, true
	case a.Type == xdr.AssetTypeAssetTypeCreditAlphanum4 && a.AlphaNum4 != nil:
		code, issuer = a.AlphaNum4.AssetCode[:], a.AlphaNum4.Issuer
	case a.Type == xdr.AssetTypeAssetTypeCreditAlphanum12 && a.AlphaNum12 != nil:
		code, issuer = a.AlphaNum12.AssetCode[:], a.AlphaNum12.Issuer
	default:
		return Asset{}, false
	}
	key, ok := txenv.IssuerKey(issuer)
	c := strings.TrimRight(string(code), "\x00")
	if !ok || !validCode(c) || (a.Type == xdr.AssetTypeAssetTypeCreditAlphanum12 && len(c) <= 4) {
		return Asset{}, false
	}
	return Asset{Code: c, Issuer: encodeAddress(key)}, true
}

func (s *state) pay(src, dst [32]byte, xa xdr.Asset, amt int64) string {
	asset, ok := assetFromXDR(xa)
	if !ok || amt <= 0 {
		return "op_malformed"
	}
	from, to := s.get(src), s.get(dst)
	if to == nil {
		return "op_no_destination"
	}
	if asset.Native() {
		if from.native-amt < s.l.minBalance(from) {
			return "op_underfunded"
		}
		from.native -= amt
		if to.native > maxAmount-amt {
			from.native += amt
			return "op_line_full"
		}
		to.native += amt
		return "op_success"
	}
	srcIsIssuer := encodeAddress(src) == asset.Issuer
	dstIsIssuer := encodeAddress(dst) == asset.Issuer
	if !srcIsIssuer {
		ln := from.lines[asset]
		if ln == nil {
			return "op_src_no_trust"
		}
		if ln.balance < amt {
			return "op_underfunded"
		}
	}
	if !dstIsIssuer {
		ln := to.lines[asset]
		if ln == nil {
			return "op_no_trust"
		}
		if ln.balance > ln.limit-amt {
			return "op_line_full"
		}
	}
	if !srcIsIssuer {
		from.lines[asset].balance -= amt
	}
	if !dstIsIssuer {
		to.lines[asset].balance += amt
	}
	return "op_success"
}

func (s *state) createAccount(src, dst [32]byte, start int64) string {
	if start < 0 {
		return "op_malformed"
	}
	if s.get(dst) != nil {
		return "op_already_exists"
	}
	if start < 2*s.l.baseReserve {
		return "op_low_reserve"
	}
	from := s.get(src)
	if from.native-start < s.l.minBalance(from) {
		return "op_underfunded"
	}
	from.native -= start
	s.touched[dst] = &account{seq: int64(s.l.number) << 32, native: start, lines: map[Asset]*line{}}
	return "op_success"
}

func (s *state) changeTrust(src [32]byte, asset Asset, limit int64) string {
	if limit < 0 || encodeAddress(src) == asset.Issuer {
		return "op_malformed"
	}
	issuerKey, _ := decodeAddress(asset.Issuer)
	if s.get(issuerKey) == nil {
		return "op_no_issuer"
	}
	a := s.get(src)
	ln := a.lines[asset]
	switch {
	case ln == nil && limit == 0:
		return "op_invalid_limit"
	case ln == nil:
		if a.native < s.l.minBalance(a)+s.l.baseReserve {
			return "op_low_reserve"
		}
		a.lines[asset] = &line{limit: limit}
	case limit == 0:
		if ln.balance != 0 {
			return "op_invalid_limit"
		}
		delete(a.lines, asset)
	case limit < ln.balance:
		return "op_invalid_limit"
	default:
		ln.limit = limit
	}
	return "op_success"
}
