package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/network"
	hProtocol "github.com/stellar/go-stellar-sdk/protocols/horizon"
)

// MinFeeXLM is the XLM a fee account should hold beyond its reserve: it
// pays the fee of the payments it sponsors (100 stroops each), so 5 XLM
// lasts for hundreds of thousands of them.
const MinFeeXLM = 5

// finding is one result of a check: what was looked at, and when it is
// wrong, how to fix it.
type finding struct {
	ok   bool
	what string
	fix  string
}

// stellarCheck checks, on one network through one Horizon, the accounts a
// paid site needs.
type stellarCheck struct {
	horizon    *horizonclient.Client
	passphrase string
	asset      string // code
	issuer     string
}

// newStellarCheck talks to horizonURL (the network's public Horizon when
// empty) with a bounded timeout.
func newStellarCheck(horizonURL, passphrase, asset, issuer string) *stellarCheck {
	if horizonURL == "" {
		horizonURL = publicHorizon(passphrase)
	}
	return &stellarCheck{horizon: &horizonclient.Client{HorizonURL: horizonURL, HTTP: &http.Client{Timeout: 20 * time.Second}},
		passphrase: passphrase, asset: asset, issuer: issuer}
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

// reachable checks that Horizon answers and serves the expected network.
func (c *stellarCheck) reachable() finding {
	root, err := c.horizon.Root()
	if err != nil {
		return finding{what: "Horizon " + c.horizon.HorizonURL + " does not answer (" + err.Error() + ")",
			fix: "check the URL (--horizon) and this machine's connection to it"}
	}
	if root.NetworkPassphrase != c.passphrase {
		return finding{what: fmt.Sprintf("Horizon %s serves %q, not %q", c.horizon.HorizonURL, root.NetworkPassphrase, c.passphrase),
			fix: "give the Horizon of your network (--horizon), or the network of this Horizon (--network)"}
	}
	return finding{ok: true, what: "Horizon " + c.horizon.HorizonURL + " answers, on " + c.passphrase}
}

// account loads addr; nil with a finding when it does not exist.
func (c *stellarCheck) account(role, addr string) (*hProtocol.Account, finding) {
	acc, err := c.horizon.AccountDetail(horizonclient.AccountRequest{AccountID: addr})
	if horizonclient.IsNotFoundError(err) {
		return nil, finding{what: role + " account " + addr + " does not exist on the network", fix: c.fundFix(addr)}
	}
	if err != nil {
		return nil, finding{what: role + " account " + addr + ": " + err.Error(), fix: "check Horizon (--horizon)"}
	}
	return &acc, finding{ok: true, what: role + " account " + addr + " exists"}
}

// fundFix says how to make an account exist: fund it with XLM.
func (c *stellarCheck) fundFix(addr string) string {
	if c.passphrase == network.TestNetworkPassphrase {
		return "fund it with test XLM: curl 'https://friendbot.stellar.org/?addr=" + addr + "'"
	}
	return "send it at least 2 XLM from a wallet or an exchange (that creates the account)"
}

// trusts checks that acc holds a trustline to the payment asset.
func (c *stellarCheck) trusts(role string, acc *hProtocol.Account) finding {
	for _, b := range acc.Balances {
		if b.Code == c.asset && b.Issuer == c.issuer {
			return finding{ok: true, what: role + " account trusts " + c.asset + " (" + c.issuer + ")"}
		}
	}
	return finding{what: role + " account " + acc.AccountID + " does not trust " + c.asset + " issued by " + c.issuer + ": it cannot receive payments",
		fix: "add the trustline with the account's seed: in a wallet (or Stellar Lab), Change Trust to asset " + c.asset + ", issuer " + c.issuer}
}

// hasXLM checks that acc holds at least MinFeeXLM.
func (c *stellarCheck) hasXLM(role string, acc *hProtocol.Account) finding {
	for _, b := range acc.Balances {
		if b.Type != "native" {
			continue
		}
		if v, err := strconv.ParseFloat(b.Balance, 64); err == nil && v >= MinFeeXLM {
			return finding{ok: true, what: role + " account holds " + b.Balance + " XLM"}
		}
		return finding{what: fmt.Sprintf("%s account %s holds %s XLM, less than the %d XLM it needs to pay fees", role, acc.AccountID, b.Balance, MinFeeXLM),
			fix: c.fundFix(acc.AccountID)}
	}
	return finding{what: role + " account " + acc.AccountID + " holds no XLM", fix: c.fundFix(acc.AccountID)}
}
