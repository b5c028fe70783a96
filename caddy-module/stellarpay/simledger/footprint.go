package simledger

import (
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// The ledger keys a SAC call reads and writes, as stellar-core names them.
// A transaction declares them in its footprint; the ledger refuses a call
// that touches a key its footprint lacks (ErrFootprint).

// InstanceKey is the key of a contract's instance entry.
func InstanceKey(contract [32]byte) xdr.LedgerKey {
	return contractDataKey(sac.Address{Contract: true, Key: contract},
		xdr.ScVal{Type: xdr.ScValTypeScvLedgerKeyContractInstance}, xdr.ContractDataDurabilityPersistent)
}

func contractDataKey(a sac.Address, key xdr.ScVal, d xdr.ContractDataDurability) xdr.LedgerKey {
	return xdr.LedgerKey{Type: xdr.LedgerEntryTypeContractData,
		ContractData: &xdr.LedgerKeyContractData{Contract: a.ScAddress(), Key: key, Durability: d}}
}

// TrustlineKey is the key of account's trustline to asset.
func TrustlineKey(account [32]byte, asset Asset) xdr.LedgerKey {
	k := xdr.Uint256(account)
	return xdr.LedgerKey{Type: xdr.LedgerEntryTypeTrustline, TrustLine: &xdr.LedgerKeyTrustLine{
		AccountId: xdr.AccountId{Type: xdr.PublicKeyTypePublicKeyTypeEd25519, Ed25519: &k},
		Asset:     asset.xdr().ToTrustLineAsset(),
	}}
}

// AccountKey is the key of an account entry.
func AccountKey(account [32]byte) xdr.LedgerKey {
	k := xdr.Uint256(account)
	return xdr.LedgerKey{Type: xdr.LedgerEntryTypeAccount, Account: &xdr.LedgerKeyAccount{
		AccountId: xdr.AccountId{Type: xdr.PublicKeyTypePublicKeyTypeEd25519, Ed25519: &k}}}
}

// xdr converts a to an xdr.Asset (a is valid: it came from the genesis or
// from assetFromXDR).
func (a Asset) xdr() xdr.Asset {
	if a.Native() {
		return xdr.MustNewNativeAsset()
	}
	return xdr.MustNewCreditAsset(a.Code, a.Issuer)
}

// keySet is a footprint as a set of encoded keys.
type keySet map[string]bool

func newKeySet(keys ...[]xdr.LedgerKey) keySet {
	s := keySet{}
	for _, ks := range keys {
		for _, k := range ks {
			s.add(k)
		}
	}
	return s
}

func (s keySet) add(k xdr.LedgerKey) {
	raw, _ := k.MarshalBinary()
	s[string(raw)] = true
}

func (s keySet) has(k xdr.LedgerKey) bool {
	raw, _ := k.MarshalBinary()
	return s[string(raw)]
}

// Resource fee model: a base charge plus one per footprint entry. The
// network's model prices instructions, bytes and rent; this one only needs
// to be deterministic and the same in simulation and in application, so
// that a transaction that simulated well pays enough.
const (
	resourceFeeBase     = 60_000
	resourceFeePerEntry = 10_000
)

// MinResourceFee is the resource fee a footprint of n entries needs.
func MinResourceFee(n int) int64 { return resourceFeeBase + resourceFeePerEntry*int64(n) }
