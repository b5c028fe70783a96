package main

import (
	"context"
	"net/http"

	"github.com/stellar/go-stellar-sdk/amount"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/network"
)

// horizonView reads accounts through a Horizon server.
type horizonView struct {
	client        *horizonclient.Client
	asset, issuer string
}

// newHorizonView talks to url (the network's public Horizon when empty)
// with hc.
func newHorizonView(hc *http.Client, url, passphrase, asset, issuer string) *horizonView {
	if url == "" {
		url = publicHorizon(passphrase)
	}
	return &horizonView{client: &horizonclient.Client{HorizonURL: url, HTTP: hc}, asset: asset, issuer: issuer}
}

// publicHorizon is SDF's Horizon of a network, or "" for another network.
func publicHorizon(passphrase string) string {
	switch passphrase {
	case network.TestNetworkPassphrase:
		return "https://horizon-testnet.stellar.org/"
	case network.PublicNetworkPassphrase:
		return "https://horizon.stellar.org/"
	}
	return ""
}

func (v *horizonView) name() string { return "Horizon " + v.client.HorizonURL }
func (v *horizonView) flag() string { return "--horizon" }

func (v *horizonView) passphrase(ctx context.Context) (string, error) {
	root, err := v.client.Root()
	return root.NetworkPassphrase, err
}

func (v *horizonView) account(ctx context.Context, addr string) (*accountState, error) {
	acc, err := v.client.AccountDetail(horizonclient.AccountRequest{AccountID: addr})
	if horizonclient.IsNotFoundError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := &accountState{id: acc.AccountID}
	for _, b := range acc.Balances {
		switch {
		case b.Type == "native":
			st.xlm, _ = amount.ParseInt64(b.Balance)
		case b.Code == v.asset && b.Issuer == v.issuer:
			st.trusts = true
		}
	}
	return st, nil
}
