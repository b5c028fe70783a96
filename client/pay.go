package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/paymentauth"
)

// pay checks o against the policy, takes its amount from the budget and
// pays it in its format: the credential to send with the next request,
// or (SEP-7 callback) none, the payment made. A notice is never paid
// through the callback. What fails before any money can have moved gives
// the amount back to the budget.
func (c *Client) pay(ctx context.Context, o offer, page *url.URL, notice bool) (credential, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paid[o.pr.ID] {
		return credential{}, nil // paid already (an early notice repeated)
	}
	chk, err := c.policy.check(o.pr, page, c.now())
	if err != nil {
		return credential{}, err
	}
	if o.format == FormatCallback && (notice || chk.callback == nil) {
		o.format = FormatClassic
	}
	if o.format != FormatX402 && o.ch == nil {
		return credential{}, fmt.Errorf("%w: no challenge to answer", ErrChallenge)
	}
	if err := c.policy.Budget.reserve(chk.stroops); err != nil {
		return credential{}, err
	}
	c.logf("paying %s %s to %s in %s (request %s)", o.pr.Amount, o.pr.AssetCode, o.pr.Destination, o.format, o.pr.ID)
	cred, moved, err := c.send(ctx, o, chk)
	if err != nil {
		if !moved {
			c.policy.Budget.release(chk.stroops)
		}
		return credential{}, err
	}
	c.paid[o.pr.ID] = true
	c.payments++
	c.stroops += chk.stroops
	return cred, nil
}

// send makes the payment of o in its format. moved reports, on an error,
// that the money may have left the account all the same.
func (c *Client) send(ctx context.Context, o offer, chk *checked) (cred credential, moved bool, err error) {
	cred.id = o.pr.ID
	if o.format.sac() {
		return c.sendSAC(ctx, o, chk)
	}
	env, err := c.sign(chk)
	if err != nil {
		return cred, false, err
	}
	if o.format == FormatClassic {
		cred.header = "Authorization"
		cred.value = paymentauth.Credential{Challenge: *o.ch,
			Payload: paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: env}}.String()
		return cred, true, nil
	}
	form := url.Values{"xdr": {env}}.Encode()
	resp, err := c.do(ctx, http.MethodPost, chk.callback, credential{}, strings.NewReader(form))
	if err != nil {
		c.lastSeq = 0 // unknown outcome: trust Horizon's sequence next time
		return cred, true, fmt.Errorf("client: paying through %s: %w", chk.callback, err)
	}
	if resp.StatusCode/100 != 2 {
		c.lastSeq = 0
		_, r := readRefusal(resp)
		return cred, resp.StatusCode/100 != 4, r // a 4xx refused it before the ledger
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return cred, true, nil
}

// sign builds and signs the payment for c, with a sequence number one
// above both Horizon's view of the account and the last one we used (a
// site may still be settling our previous payment). It runs under cl.mu.
func (cl *Client) sign(c *checked) (string, error) {
	acct, err := cl.horizon.AccountDetail(horizonclient.AccountRequest{AccountID: cl.key.Address()})
	if err != nil {
		return "", fmt.Errorf("client: reading our account %s from Horizon: %w", cl.key.Address(), err)
	}
	acct.Sequence = max(acct.Sequence, cl.lastSeq)
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &acct,
		IncrementSequenceNum: true,
		Operations: []txnbuild.Operation{&txnbuild.Payment{
			Destination: c.Destination,
			Amount:      c.Amount.String(),
			Asset:       txnbuild.CreditAsset{Code: c.AssetCode, Issuer: c.AssetIssuer},
		}},
		BaseFee:       txnbuild.MinBaseFee,
		Memo:          txnbuild.MemoHash(c.id),
		Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, c.ExpiresAt.Unix())},
	})
	if err != nil {
		return "", fmt.Errorf("client: building the payment: %w", err)
	}
	if tx, err = tx.Sign(cl.policy.NetworkPassphrase, cl.key); err != nil {
		return "", fmt.Errorf("client: signing the payment: %w", err)
	}
	env, err := tx.Base64()
	if err != nil {
		return "", fmt.Errorf("client: encoding the payment: %w", err)
	}
	cl.lastSeq = acct.Sequence
	return env, nil
}
