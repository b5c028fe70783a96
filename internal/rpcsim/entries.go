package rpcsim

import (
	"encoding/json"
	"fmt"

	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// MaxLedgerKeys caps one getLedgerEntries request, as the RPC does.
const MaxLedgerKeys = 200

// liveFor is how long contract entries stay live (their TTL), in ledgers.
const liveFor = 100_000

func (s *Server) getLedgerEntries(raw json.RawMessage) (any, error) {
	var req protocol.GetLedgerEntriesRequest
	if err := params(raw, &req); err != nil {
		return nil, err
	}
	if len(req.Keys) == 0 || len(req.Keys) > MaxLedgerKeys {
		return nil, invalidParams(fmt.Errorf("between 1 and %d keys are required", MaxLedgerKeys))
	}
	n, _ := s.latest()
	resp := protocol.GetLedgerEntriesResponse{Entries: []protocol.LedgerEntryResult{}, LatestLedger: n}
	for _, k64 := range req.Keys {
		var key xdr.LedgerKey
		if err := xdr.SafeUnmarshalBase64(k64, &key); err != nil {
			return nil, invalidParams(fmt.Errorf("cannot unmarshal key %q", k64))
		}
		data, modified, live, ok := s.entry(key, n)
		if !ok {
			continue
		}
		b, err := xdr.MarshalBase64(data)
		if err != nil {
			return nil, err
		}
		r := protocol.LedgerEntryResult{KeyXDR: k64, DataXDR: b, LastModifiedLedger: modified}
		if live != 0 {
			r.LiveUntilLedgerSeq = &live
		}
		resp.Entries = append(resp.Entries, r)
	}
	return resp, nil
}

// entry looks a ledger key up at latest ledger n: its data, last
// modification and, for contract data, the ledger it lives until; ok is
// false when the ledger has no (live) entry.
func (s *Server) entry(key xdr.LedgerKey, n uint32) (data xdr.LedgerEntryData, modified, live uint32, ok bool) {
	switch {
	case key.Type == xdr.LedgerEntryTypeAccount && key.Account != nil:
		v, err := s.Ledger.Account(key.Account.AccountId.Address())
		if err != nil {
			return xdr.LedgerEntryData{}, 0, 0, false
		}
		return accountEntry(key.Account.AccountId, v), v.LastModified, 0, true
	case key.Type == xdr.LedgerEntryTypeTrustline && key.TrustLine != nil:
		data, modified, ok = s.trustlineEntry(key.TrustLine)
		return data, modified, 0, ok
	case key.Type == xdr.LedgerEntryTypeContractData && key.ContractData != nil:
		return s.contractEntry(key.ContractData, n)
	}
	return xdr.LedgerEntryData{}, 0, 0, false
}

func accountEntry(id xdr.AccountId, v simledger.AccountView) xdr.LedgerEntryData {
	return xdr.LedgerEntryData{Type: xdr.LedgerEntryTypeAccount, Account: &xdr.AccountEntry{
		AccountId:     id,
		Balance:       xdr.Int64(v.Balances[0].Balance),
		SeqNum:        xdr.SequenceNumber(v.Sequence),
		NumSubEntries: xdr.Uint32(v.Subentries),
		Thresholds:    xdr.Thresholds{1, 0, 0, 0},
		Signers:       []xdr.Signer{},
	}}
}

func (s *Server) trustlineEntry(k *xdr.LedgerKeyTrustLine) (xdr.LedgerEntryData, uint32, bool) {
	var asset simledger.Asset
	switch {
	case k.Asset.AlphaNum4 != nil:
		asset = simledger.Asset{Code: trimCode(k.Asset.AlphaNum4.AssetCode[:]), Issuer: k.Asset.AlphaNum4.Issuer.Address()}
	case k.Asset.AlphaNum12 != nil:
		asset = simledger.Asset{Code: trimCode(k.Asset.AlphaNum12.AssetCode[:]), Issuer: k.Asset.AlphaNum12.Issuer.Address()}
	default:
		return xdr.LedgerEntryData{}, 0, false
	}
	v, err := s.Ledger.Account(k.AccountId.Address())
	if err != nil {
		return xdr.LedgerEntryData{}, 0, false
	}
	for _, b := range v.Balances {
		if b.Asset == asset {
			return xdr.LedgerEntryData{Type: xdr.LedgerEntryTypeTrustline, TrustLine: &xdr.TrustLineEntry{
				AccountId: k.AccountId, Asset: k.Asset, Balance: xdr.Int64(b.Balance), Limit: xdr.Int64(b.Limit),
				Flags: xdr.Uint32(xdr.TrustLineFlagsAuthorizedFlag),
			}}, v.LastModified, true
		}
	}
	return xdr.LedgerEntryData{}, 0, false
}

func trimCode(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// contractEntry answers, at latest ledger n, a SAC's instance and an
// account's used nonces, the contract data this ledger has. A nonce's
// entry is as the host writes it: last modified by the ledger whose
// transaction used the nonce, live until the credential's signature
// expiration ledger, and gone after it (a temporary entry past its
// live-until ledger is not served: the network may have deleted it).
func (s *Server) contractEntry(k *xdr.LedgerKeyContractData, n uint32) (xdr.LedgerEntryData, uint32, uint32, bool) {
	addr, err := sac.FromScAddress(k.Contract)
	if err != nil {
		return xdr.LedgerEntryData{}, 0, 0, false
	}
	entry := &xdr.ContractDataEntry{Contract: k.Contract, Key: k.Key, Durability: k.Durability}
	modified, live := uint32(2), n+liveFor
	switch {
	case addr.Contract && k.Key.Type == xdr.ScValTypeScvLedgerKeyContractInstance && k.Durability == xdr.ContractDataDurabilityPersistent:
		if _, ok := s.Ledger.Contract(addr.Key); !ok {
			return xdr.LedgerEntryData{}, 0, 0, false
		}
		inst := &xdr.ScContractInstance{Executable: xdr.ContractExecutable{Type: xdr.ContractExecutableTypeContractExecutableStellarAsset}}
		entry.Val = xdr.ScVal{Type: xdr.ScValTypeScvContractInstance, Instance: inst}
	case !addr.Contract && !addr.Muxed && k.Key.Type == xdr.ScValTypeScvLedgerKeyNonce && k.Key.NonceKey != nil && k.Durability == xdr.ContractDataDurabilityTemporary:
		e, ok := s.Ledger.Nonce(addr.Key, int64(k.Key.NonceKey.Nonce))
		if !ok || n > e.LiveUntil {
			return xdr.LedgerEntryData{}, 0, 0, false
		}
		modified, live = e.Ledger, e.LiveUntil
		entry.Val = xdr.ScVal{Type: xdr.ScValTypeScvVoid}
	default:
		return xdr.LedgerEntryData{}, 0, 0, false
	}
	return xdr.LedgerEntryData{Type: xdr.LedgerEntryTypeContractData, ContractData: entry}, modified, live, true
}
