package sac

import "github.com/stellar/go-stellar-sdk/xdr"

// NonceKey is the ledger key of the temporary contract-data entry that
// marks nonce of account's address credentials as used: contract the
// account's address, key SCV_LEDGER_KEY_NONCE{nonce}, durability
// temporary, as the host writes it when it applies an authorization. The
// entry lives until the credential's signature expiration ledger. The
// simulated ledger declares it in footprints and the rpc backend asks
// getLedgerEntries for it: one builder for both.
func NonceKey(account [32]byte, nonce int64) xdr.LedgerKey {
	return xdr.LedgerKey{Type: xdr.LedgerEntryTypeContractData, ContractData: &xdr.LedgerKeyContractData{
		Contract:   Account(account).ScAddress(),
		Key:        xdr.ScVal{Type: xdr.ScValTypeScvLedgerKeyNonce, NonceKey: &xdr.ScNonceKey{Nonce: xdr.Int64(nonce)}},
		Durability: xdr.ContractDataDurabilityTemporary,
	}}
}
