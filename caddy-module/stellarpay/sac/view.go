package sac

import (
	"fmt"

	"github.com/stellar/go-stellar-sdk/xdr"
)

// The parsers of this package read XDR encodings in place, through the
// SDK's zero-copy views: a verifier holds the bytes it received, and
// decoding them into the SDK's types allocates for every ScVal — more
// than all its other checks cost. The decoded-type entry points
// (ParseCall, ParseTransfer, ...) encode and call these, so there is one
// parser of each thing.

// ParseTransferXDR is ParseTransfer on the XDR encoding of an
// InvokeContractArgs. When the call is on a contract but not a transfer,
// the returned Transfer still names the contract.
func ParseTransferXDR(call []byte) (Transfer, error) {
	var t Transfer
	var fnErr, argErr error
	err := xdr.TryVoid(func() {
		v := xdr.InvokeContractArgsView(call)
		c, ok := addressView(v.MustContractAddress())
		if !ok || !c.Contract {
			fnErr = fmt.Errorf("%w: the invoked address is not a contract", ErrFunction)
			return
		}
		t.Contract = c.Key
		if fn := string(v.MustFunctionName().MustValue()); fn != FnTransfer {
			fnErr = fmt.Errorf("%w: %q, transfer is expected", ErrFunction, fn)
			return
		}
		args := v.MustArgs()
		if n := args.MustCount(); n != 3 {
			argErr = fmt.Errorf("%w: transfer takes 3 arguments, got %d", ErrArgs, n)
			return
		}
		var okFrom, okTo bool
		t.From, okFrom = addressArg(args.MustAt(0))
		t.To, okTo = addressArg(args.MustAt(1))
		switch {
		case !okFrom:
			argErr = fmt.Errorf("%w: from is not an address", ErrArgs)
		case !okTo:
			argErr = fmt.Errorf("%w: to is not an address", ErrArgs)
		case t.From.Muxed:
			argErr = fmt.Errorf("%w: from cannot be a muxed address", ErrArgs)
		default:
			t.Amount, argErr = amountView(args.MustAt(2))
		}
	})
	switch {
	case err != nil:
		return Transfer{}, fmt.Errorf("%w: %v", ErrArgs, err)
	case fnErr != nil:
		return Transfer{Contract: t.Contract}, fnErr
	case argErr != nil:
		return Transfer{}, argErr
	}
	return t, nil
}

// addressArg reads an SCV_ADDRESS value.
func addressArg(v xdr.ScValView) (Address, bool) {
	if v.MustType() != xdr.ScValTypeScvAddress {
		return Address{}, false
	}
	return addressView(v.MustAddress())
}

func addressView(a xdr.ScAddressView) (Address, bool) {
	switch a.MustType() {
	case xdr.ScAddressTypeScAddressTypeAccount:
		pk := xdr.PublicKeyView(a.MustAccountId())
		if pk.MustType() != xdr.PublicKeyTypePublicKeyTypeEd25519 {
			return Address{}, false
		}
		return Address{Key: [32]byte(pk.MustEd25519().MustValue())}, true
	case xdr.ScAddressTypeScAddressTypeContract:
		return Address{Contract: true, Key: [32]byte(a.MustContractId().MustValue())}, true
	case xdr.ScAddressTypeScAddressTypeMuxedAccount:
		m := a.MustMuxedAccount()
		return Address{Key: [32]byte(m.MustEd25519().MustValue()), Muxed: true, ID: m.MustId().MustValue()}, true
	}
	return Address{}, false
}

// AddressXDR reads the XDR encoding of an ScAddress.
func AddressXDR(raw []byte) (Address, error) {
	a, err := xdr.Try(func() Address {
		a, ok := addressView(xdr.ScAddressView(raw))
		if !ok {
			panic(&xdr.ViewError{Detail: "unsupported address"})
		}
		return a
	})
	if err != nil {
		return Address{}, fmt.Errorf("%w: %v", ErrAddress, err)
	}
	return a, nil
}

func amountView(v xdr.ScValView) (int64, error) {
	if v.MustType() != xdr.ScValTypeScvI128 {
		return 0, fmt.Errorf("%w: amount is not an i128", ErrAmount)
	}
	p := v.MustI128()
	hi, lo := p.MustHi().MustValue(), p.MustLo().MustValue()
	if hi != 0 || lo > 1<<63-1 {
		return 0, fmt.Errorf("%w: i128 {hi %d, lo %d}", ErrAmount, hi, lo)
	}
	return int64(lo), nil
}
