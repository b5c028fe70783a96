package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stellar/go-stellar-sdk/amount"
	"github.com/stellar/go-stellar-sdk/network"
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

// accountState is what the checks need of one account.
type accountState struct {
	id     string
	xlm    int64 // stroops
	trusts bool  // holds a trustline to the payment asset
}

// ledgerView reads the network through one Stellar server: a Horizon
// (horizonView) or a Stellar RPC (rpcView).
type ledgerView interface {
	// name is the server as the owner configured it: "Horizon <url>".
	name() string
	// flag is the flag that names the server, for fixes.
	flag() string
	// passphrase asks the server for its network.
	passphrase(ctx context.Context) (string, error)
	// account reads addr's XLM and trustline to the asset; nil (and no
	// error) when the account does not exist.
	account(ctx context.Context, addr string) (*accountState, error)
}

// stellarCheck checks, on one network through one server, the accounts a
// paid site needs.
type stellarCheck struct {
	view       ledgerView
	ctx        context.Context
	passphrase string
	asset      string // code
	issuer     string
}

// newStellarCheck checks through rpcURL when given, else through
// horizonURL (the network's public Horizon when empty), with hc (nil: a
// plain client with a bounded timeout).
func newStellarCheck(ctx context.Context, hc *http.Client, rpcURL, horizonURL, passphrase, asset, issuer string) *stellarCheck {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	c := &stellarCheck{ctx: ctx, passphrase: passphrase, asset: asset, issuer: issuer}
	if rpcURL != "" {
		c.view = newRPCView(hc, rpcURL, asset, issuer)
	} else {
		c.view = newHorizonView(hc, horizonURL, passphrase, asset, issuer)
	}
	return c
}

// reachable checks that the server answers and serves the expected network.
func (c *stellarCheck) reachable() finding {
	got, err := c.view.passphrase(c.ctx)
	if err != nil {
		return finding{what: c.view.name() + " does not answer (" + err.Error() + ")",
			fix: "check the URL (" + c.view.flag() + ") and this machine's connection to it"}
	}
	if got != c.passphrase {
		return finding{what: fmt.Sprintf("%s serves %q, not %q", c.view.name(), got, c.passphrase),
			fix: "give the server of your network (" + c.view.flag() + "), or the network of this server (--network)"}
	}
	return finding{ok: true, what: c.view.name() + " answers, on " + c.passphrase}
}

// account loads addr; nil with a finding when it does not exist.
func (c *stellarCheck) account(role, addr string) (*accountState, finding) {
	acc, err := c.view.account(c.ctx, addr)
	if err != nil {
		return nil, finding{what: role + " account " + addr + ": " + err.Error(), fix: "check " + c.view.name() + " (" + c.view.flag() + ")"}
	}
	if acc == nil {
		return nil, finding{what: role + " account " + addr + " does not exist on the network", fix: c.fundFix(addr)}
	}
	return acc, finding{ok: true, what: role + " account " + addr + " exists"}
}

// fundFix says how to make an account exist: fund it with XLM.
func (c *stellarCheck) fundFix(addr string) string {
	if c.passphrase == network.TestNetworkPassphrase {
		return "fund it with test XLM: curl 'https://friendbot.stellar.org/?addr=" + addr + "'"
	}
	return "send it at least 2 XLM from a wallet or an exchange (that creates the account)"
}

// trusts checks that acc holds a trustline to the payment asset.
func (c *stellarCheck) trusts(role string, acc *accountState) finding {
	if acc.trusts {
		return finding{ok: true, what: role + " account trusts " + c.asset + " (" + c.issuer + ")"}
	}
	return finding{what: role + " account " + acc.id + " does not trust " + c.asset + " issued by " + c.issuer + ": it cannot receive payments",
		fix: "add the trustline with the account's seed: in a wallet (or Stellar Lab), Change Trust to asset " + c.asset + ", issuer " + c.issuer}
}

// hasXLM checks that acc holds at least MinFeeXLM.
func (c *stellarCheck) hasXLM(role string, acc *accountState) finding {
	held := amount.StringFromInt64(acc.xlm)
	if acc.xlm >= MinFeeXLM*amount.One {
		return finding{ok: true, what: role + " account holds " + held + " XLM"}
	}
	return finding{what: fmt.Sprintf("%s account %s holds %s XLM, less than the %d XLM it needs to pay fees", role, acc.id, held, MinFeeXLM),
		fix: c.fundFix(acc.id)}
}
