// Package sac speaks the Stellar Asset Contract (SAC) of a classic asset:
// the contract id a network derives from the asset, the transfer and
// balance invocations, the Soroban authorization entries that sign a
// transfer, and the CAP-67 events a transfer emits.
//
// It is the one place these encodings live: the simulated ledger
// (simledger) executes them, stellarpay verifies payments made with them,
// and the ledger watcher reads the events. Everything here is pure: no
// network, no clock.
package sac

import (
	"errors"
	"fmt"

	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// Errors a caller can test with errors.Is.
var (
	// ErrAddress means an address is not an account, muxed account or contract.
	ErrAddress = errors.New("sac: unsupported address")
	// ErrFunction means the invocation calls another function or contract.
	ErrFunction = errors.New("sac: unexpected function")
	// ErrArgs means the invocation's arguments do not fit the function.
	ErrArgs = errors.New("sac: bad arguments")
	// ErrAmount means an amount is negative or does not fit in 63 bits.
	ErrAmount = errors.New("sac: amount out of range")
	// ErrSignature means an authorization signature is missing or invalid.
	ErrSignature = errors.New("sac: bad authorization signature")
	// ErrEvent means a contract event is not a SAC transfer, mint or burn.
	ErrEvent = errors.New("sac: not a token transfer event")
)

// Address is a Soroban address reduced to what a SAC payment needs: an
// account (G…), a muxed account (M…: an account plus a 64-bit id) or a
// contract (C…).
type Address struct {
	// Contract is set for a contract address; Key is then the contract id.
	Contract bool
	// Key is the account's ed25519 key or the contract id.
	Key [32]byte
	// Muxed is set for an M… address; ID is its 64-bit id.
	Muxed bool
	// ID is the muxed id.
	ID uint64
}

// Account returns the address of account key.
func Account(key [32]byte) Address { return Address{Key: key} }

// ParseAddress decodes a G…, M… or C… strkey.
func ParseAddress(s string) (Address, error) {
	switch {
	case len(s) > 0 && s[0] == 'G':
		raw, err := strkey.Decode(strkey.VersionByteAccountID, s)
		if err == nil {
			return Address{Key: [32]byte(raw)}, nil
		}
	case len(s) > 0 && s[0] == 'C':
		raw, err := strkey.Decode(strkey.VersionByteContract, s)
		if err == nil {
			return Address{Contract: true, Key: [32]byte(raw)}, nil
		}
	case len(s) > 0 && s[0] == 'M':
		var m xdr.MuxedAccount
		if err := m.SetAddress(s); err == nil && m.Med25519 != nil {
			return Address{Key: [32]byte(m.Med25519.Ed25519), Muxed: true, ID: uint64(m.Med25519.Id)}, nil
		}
	}
	return Address{}, fmt.Errorf("%w: %q", ErrAddress, s)
}

// Base returns the address without its muxed id: the account that holds
// the balance.
func (a Address) Base() Address { return Address{Contract: a.Contract, Key: a.Key} }

// String renders the strkey (G…, M… or C…).
func (a Address) String() string {
	switch {
	case a.Contract:
		return strkey.MustEncode(strkey.VersionByteContract, a.Key[:])
	case a.Muxed:
		m := xdr.MuxedAccount{Type: xdr.CryptoKeyTypeKeyTypeMuxedEd25519,
			Med25519: &xdr.MuxedAccountMed25519{Id: xdr.Uint64(a.ID), Ed25519: xdr.Uint256(a.Key)}}
		return m.Address()
	}
	return strkey.MustEncode(strkey.VersionByteAccountID, a.Key[:])
}

// FromScAddress converts an xdr.ScAddress.
func FromScAddress(s xdr.ScAddress) (Address, error) {
	switch {
	case s.Type == xdr.ScAddressTypeScAddressTypeAccount && s.AccountId != nil && s.AccountId.Ed25519 != nil:
		return Address{Key: [32]byte(*s.AccountId.Ed25519)}, nil
	case s.Type == xdr.ScAddressTypeScAddressTypeContract && s.ContractId != nil:
		return Address{Contract: true, Key: [32]byte(*s.ContractId)}, nil
	case s.Type == xdr.ScAddressTypeScAddressTypeMuxedAccount && s.MuxedAccount != nil:
		return Address{Key: [32]byte(s.MuxedAccount.Ed25519), Muxed: true, ID: uint64(s.MuxedAccount.Id)}, nil
	}
	return Address{}, fmt.Errorf("%w: type %s", ErrAddress, s.Type)
}

// ScAddress converts a to its xdr form.
func (a Address) ScAddress() xdr.ScAddress {
	switch {
	case a.Contract:
		id := xdr.ContractId(a.Key)
		return xdr.ScAddress{Type: xdr.ScAddressTypeScAddressTypeContract, ContractId: &id}
	case a.Muxed:
		return xdr.ScAddress{Type: xdr.ScAddressTypeScAddressTypeMuxedAccount,
			MuxedAccount: &xdr.MuxedEd25519Account{Id: xdr.Uint64(a.ID), Ed25519: xdr.Uint256(a.Key)}}
	}
	k := xdr.Uint256(a.Key)
	id := xdr.AccountId{Type: xdr.PublicKeyTypePublicKeyTypeEd25519, Ed25519: &k}
	return xdr.ScAddress{Type: xdr.ScAddressTypeScAddressTypeAccount, AccountId: &id}
}

// ScVal returns a as an SCV_ADDRESS value.
func (a Address) ScVal() xdr.ScVal {
	s := a.ScAddress()
	return xdr.ScVal{Type: xdr.ScValTypeScvAddress, Address: &s}
}

// ContractID is the id of asset's SAC on the network with passphrase.
func ContractID(asset xdr.Asset, passphrase string) ([32]byte, error) {
	return asset.ContractID(passphrase)
}
