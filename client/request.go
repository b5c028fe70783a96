// Package client is the paying side of TorPlus: it fetches pages through a
// SOCKS5 proxy (Tor), reads the payment requests the site sends (on a 402,
// or as an early notice on a normal response), checks that they are sane,
// for this site and within the user's budget, signs the Stellar payment
// with the user's own key, pays, and carries on, so that the whole loop
// runs without a browser.
//
// It speaks the standards a TorPlus site offers side by side, in the
// order of Config.Formats (DefaultFormats: a standard first, TorPlus's
// own classic payment last):
//
//	the IETF Payment scheme, stellar charge (draft-stellar-charge-00):
//	  402:    WWW-Authenticate: Payment id, realm, method="stellar", intent="charge",
//	          request="<base64url JCS {amount, currency, recipient, externalId, methodDetails}>", expires
//	  pull:   Authorization: Payment <base64url {challenge, payload: {type: "transaction",
//	          transaction}}>, answering the feePayer challenge: a SAC transfer from the all-zeros
//	          source with the payer's authorization entry signed; the site's fee account submits it
//	  push:   the client submits its own SAC transfer through its Stellar RPC, waits for the
//	          ledger, and answers the other challenge with {type: "hash", hash}
//	x402 v2 (exact on Stellar):
//	  402:    PAYMENT-REQUIRED: base64 {x402Version: 2, resource, accepts: [{scheme: "exact", ...}]}
//	  paying: PAYMENT-SIGNATURE: base64 {x402Version: 2, resource, accepted, payload: {transaction}},
//	          the same sponsored SAC transfer to payTo
//	TorPlus's own (Horizon only, no Stellar RPC): a classic payment with the request id as
//	  MEMO_HASH, in a Payment credential or POSTed to the SEP-7 callback of the 402's JSON body
//	early notice: the same offers on a 2xx response, paid with the next request
//	session:      TorPlus-Session: <base64url of 32 random bytes> on every request
//
// Whatever the format, a payment is checked against the Policy (network,
// asset, the challenge's realm or the x402 resource on the page's host)
// and takes its amount from the one Budget before anything is signed.
package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/x402"
)

// SessionHeader carries the client's session token.
const SessionHeader = "TorPlus-Session"

// ErrChallenge means a response offers no Payment challenge this client
// can read.
var ErrChallenge = errors.New("client: no usable Payment challenge")

// ErrOtherSite means a challenge's realm, or an x402 offer's resource, is
// not the host of the page that asked for it: paying it would pay another
// site (or a site replaying another's offer).
var ErrOtherSite = errors.New("client: the payment request is for another site")

// PaymentRequest is what a site asks to be paid for the next round of
// bytes: the request the hoster's metering handler sends (payreq.Request).
type PaymentRequest = payreq.Request

// Challenges returns the Payment challenges of a response's
// WWW-Authenticate header lines.
func Challenges(h http.Header) ([]paymentauth.Challenge, error) {
	v := strings.Join(h.Values("WWW-Authenticate"), ", ")
	if v == "" {
		return nil, fmt.Errorf("%w: no WWW-Authenticate", ErrChallenge)
	}
	cs, err := paymentauth.ParseChallenges(v)
	if err != nil || len(cs) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrChallenge, err)
	}
	return cs, nil
}

// Request returns the payment request challenge c describes, in the
// policy's asset and network: c must be a stellar charge on the policy's
// network (paymentauth.NetworkID) in the policy's asset (its SAC address),
// name the request in externalId, and expire. Check still applies the
// policy's other rules and the budget.
func (p *Policy) Request(c paymentauth.Challenge) (PaymentRequest, error) {
	cr, err := c.ChargeRequest()
	if err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: %v", ErrChallenge, err)
	}
	if n := paymentauth.NetworkID(p.NetworkPassphrase); cr.MethodDetails.Network != n {
		return PaymentRequest{}, fmt.Errorf("%w: %q, we pay on %q", ErrWrongNetwork, cr.MethodDetails.Network, n)
	}
	if sacAddr, err := p.assetContract(); err != nil || cr.Currency != sacAddr {
		return PaymentRequest{}, fmt.Errorf("%w: contract %s, we pay in %s:%s (%s)", ErrWrongAsset, cr.Currency, p.AssetCode, p.AssetIssuer, sacAddr)
	}
	id, err := payreq.ParseID(cr.ExternalID)
	if err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: externalId %q is not a request id", ErrBadRequest, cr.ExternalID)
	}
	exp, err := time.Parse(time.RFC3339, c.Expires)
	if err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: expires %q", ErrBadRequest, c.Expires)
	}
	r := PaymentRequest{ID: id, Method: payreq.Method, Destination: cr.Recipient, AssetCode: p.AssetCode,
		AssetIssuer: p.AssetIssuer, Amount: payreq.Amount(cr.Amount), NetworkPassphrase: p.NetworkPassphrase, ExpiresAt: exp}
	if strkey.IsValidMuxedAccountEd25519PublicKey(cr.Recipient) {
		m, err := xdr.AddressToMuxedAccount(cr.Recipient)
		if err != nil {
			return PaymentRequest{}, fmt.Errorf("%w: recipient %q", ErrBadRequest, cr.Recipient)
		}
		acct := m.ToAccountId()
		r.Muxed, r.Destination = cr.Recipient, acct.Address()
	}
	return r, nil
}

// assetContract is the SAC address (C…) of the policy's asset.
func (p *Policy) assetContract() (string, error) {
	a, err := xdr.NewCreditAsset(p.AssetCode, p.AssetIssuer)
	if err != nil {
		return "", err
	}
	id, err := sac.ContractID(a, p.NetworkPassphrase)
	if err != nil {
		return "", err
	}
	return strkey.Encode(strkey.VersionByteContract, id[:])
}

// x402Request returns the payment request an x402 offer describes, in the
// policy's asset and network: exact, valid, on the policy's network
// (paymentauth.NetworkID) in the policy's asset (its SAC address). x402
// names no request, so id is the one the same response's Payment
// challenges name, or a fresh one; it expires maxTimeoutSeconds after now.
func (p *Policy) x402Request(req x402.Requirements, id payreq.ID, now time.Time) (PaymentRequest, error) {
	if err := req.Validate(); err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: %v", ErrChallenge, err)
	}
	if n := paymentauth.NetworkID(p.NetworkPassphrase); req.Network != n {
		return PaymentRequest{}, fmt.Errorf("%w: %q, we pay on %q", ErrWrongNetwork, req.Network, n)
	}
	if sacAddr, err := p.assetContract(); err != nil || req.Asset != sacAddr {
		return PaymentRequest{}, fmt.Errorf("%w: contract %s, we pay in %s:%s (%s)", ErrWrongAsset, req.Asset, p.AssetCode, p.AssetIssuer, sacAddr)
	}
	amount, _ := x402.ParseAmount(req.Amount) // Validate read it
	if id == (payreq.ID{}) {
		id = payreq.NewID()
	}
	return PaymentRequest{ID: id, Method: payreq.Method, Destination: req.PayTo, AssetCode: p.AssetCode,
		AssetIssuer: p.AssetIssuer, Amount: payreq.Amount(amount), NetworkPassphrase: p.NetworkPassphrase,
		ExpiresAt: now.Add(time.Duration(req.MaxTimeoutSeconds) * time.Second)}, nil
}
