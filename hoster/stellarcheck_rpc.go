package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/network"
	protocol "github.com/stellar/go-stellar-sdk/protocols/rpc"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// rpcView reads accounts through a Stellar RPC: getNetwork, and
// getLedgerEntries for an account and its trustline to the asset in one
// request.
type rpcView struct {
	url           string
	client        *rpcclient.Client
	asset, issuer string
}

// publicRPC is SDF's public Stellar RPC of a network, or "" where SDF
// runs none for everyone (pubnet: use a provider's, or your own).
func publicRPC(passphrase string) string {
	if passphrase == network.TestNetworkPassphrase {
		return "https://soroban-testnet.stellar.org"
	}
	return ""
}

// newRPCView talks to url with hc.
func newRPCView(hc *http.Client, url, asset, issuer string) *rpcView {
	return &rpcView{url: url, client: rpcclient.NewClient(url, hc), asset: asset, issuer: issuer}
}

func (v *rpcView) name() string { return "Stellar RPC " + v.url }
func (v *rpcView) flag() string { return "--stellar-rpc" }

func (v *rpcView) passphrase(ctx context.Context) (string, error) {
	n, err := v.client.GetNetwork(ctx)
	return n.Passphrase, err
}

func (v *rpcView) account(ctx context.Context, addr string) (*accountState, error) {
	id, err := xdr.AddressToAccountId(addr)
	if err != nil {
		return nil, err
	}
	var acctKey, lineKey xdr.LedgerKey
	if err := acctKey.SetAccount(id); err != nil {
		return nil, err
	}
	asset, err := xdr.NewCreditAsset(v.asset, v.issuer)
	if err != nil {
		return nil, err
	}
	if err := lineKey.SetTrustline(id, asset.ToTrustLineAsset()); err != nil {
		return nil, err
	}
	keys := make([]string, 2)
	for i, k := range []xdr.LedgerKey{acctKey, lineKey} {
		if keys[i], err = xdr.MarshalBase64(k); err != nil {
			return nil, err
		}
	}
	resp, err := v.client.GetLedgerEntries(ctx, protocol.GetLedgerEntriesRequest{Keys: keys})
	if err != nil {
		return nil, err
	}
	var st *accountState
	trusts := false
	for _, e := range resp.Entries {
		var data xdr.LedgerEntryData
		if err := xdr.SafeUnmarshalBase64(e.DataXDR, &data); err != nil {
			return nil, fmt.Errorf("the RPC sent an entry that does not decode: %w", err)
		}
		switch {
		case e.KeyXDR == keys[0] && data.Type == xdr.LedgerEntryTypeAccount && data.Account != nil && data.Account.AccountId.Equals(id):
			st = &accountState{id: addr, xlm: int64(data.Account.Balance)}
		case e.KeyXDR == keys[1] && data.Type == xdr.LedgerEntryTypeTrustline && data.TrustLine != nil && data.TrustLine.AccountId.Equals(id):
			trusts = true
		}
	}
	if st != nil {
		st.trusts = trusts
	}
	return st, nil
}
