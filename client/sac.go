package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client/wallet"
)

// pushWait bounds how long a push payment waits for its ledger, and
// pushPoll is how often it looks.
const (
	pushWait = time.Minute
	pushPoll = 250 * time.Millisecond
)

// sendSAC pays o with a SAC transfer of its amount to its recipient (the
// request's muxed address when it has one): signed for a sponsor
// (FormatPayment, FormatX402), its authorization valid for the ledgers
// of 5 s that cover the offer's time left, as both standards compute it;
// or submitted by us (FormatPush), valid until the offer expires.
func (c *Client) sendSAC(ctx context.Context, o offer, chk *checked) (credential, bool, error) {
	cred := credential{id: o.pr.ID}
	call, err := c.transfer(o)
	if err != nil {
		return cred, false, err
	}
	if o.format == FormatPush {
		env, err := c.wallet.Own(ctx, c.key, call, o.pr.ExpiresAt)
		if err != nil {
			return cred, false, fmt.Errorf("client: building the transfer: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, pushWait)
		defer cancel()
		hash, err := c.wallet.Send(wctx, env, pushPoll)
		if err != nil {
			return cred, errors.Is(err, wallet.ErrUnknown), fmt.Errorf("client: sending the transfer: %w", err)
		}
		cred.header = "Authorization"
		cred.value = paymentauth.Credential{Challenge: *o.ch,
			Payload: paymentauth.Payload{Type: paymentauth.PayloadHash, Hash: hash}}.String()
		return cred, true, nil
	}
	env, err := c.wallet.Sponsored(ctx, call, c.key, wallet.Ledgers(o.expiresIn(c.now())))
	if err != nil {
		return cred, false, fmt.Errorf("client: authorizing the transfer: %w", err)
	}
	if o.format == FormatPayment {
		cred.header = "Authorization"
		cred.value = paymentauth.Credential{Challenge: *o.ch,
			Payload: paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: env}}.String()
		return cred, true, nil
	}
	v, err := x402.EncodeSignature(x402.PaymentPayload{X402Version: x402.Version, Resource: o.res, Accepted: *o.req,
		Payload: x402.ExactPayload{Transaction: env}})
	if err != nil {
		return cred, false, err
	}
	cred.header, cred.value = x402.HeaderSignature, v
	return cred, true, nil
}

// transfer is the call o asks for: transfer(us, recipient, amount) on the
// policy's asset contract.
func (c *Client) transfer(o offer) (xdr.InvokeContractArgs, error) {
	contract, err := c.policy.assetContract()
	if err != nil {
		return xdr.InvokeContractArgs{}, fmt.Errorf("%w: %v", ErrWrongAsset, err)
	}
	token, err := sac.ParseAddress(contract)
	if err != nil {
		return xdr.InvokeContractArgs{}, fmt.Errorf("%w: %v", ErrWrongAsset, err)
	}
	to := o.pr.Muxed
	if to == "" {
		to = o.pr.Destination
	}
	dest, err := sac.ParseAddress(to)
	if err != nil {
		return xdr.InvokeContractArgs{}, fmt.Errorf("%w: recipient %q", ErrBadRequest, to)
	}
	from, err := sac.ParseAddress(c.key.Address())
	if err != nil {
		return xdr.InvokeContractArgs{}, err
	}
	return sac.Transfer{Contract: token.Key, From: from, To: dest, Amount: int64(o.pr.Amount)}.Args(), nil
}
