// Package client is the paying side of TorPlus: it fetches pages through a
// SOCKS5 proxy (Tor), reads the payment requests the site sends (on a 402,
// or as an early notice on a normal response), checks that they are sane
// and within the user's budget, signs the Stellar payment with the user's
// own key, pays, and carries on, so that the whole loop runs without a
// browser.
//
// Wire format (the IETF HTTP Payment scheme with the stellar charge
// method, as the site sends and accepts it):
//
//	402 response:  WWW-Authenticate: Payment id, realm, method="stellar", intent="charge",
//	               request="<base64url JCS {amount, currency, recipient, externalId, methodDetails}>", expires
//	               body: the request as JSON {"id", "destination", "asset_code", "asset_issuer",
//	               "amount", "network_passphrase", "bytes", "expires_at", "uri"}
//	early notice:  the same WWW-Authenticate challenges on a 2xx response
//	paying:        Authorization: Payment <base64url {challenge, payload: {type: "transaction",
//	               transaction: <base64 signed envelope>}}> on the next request (the retry of a 402)
//	paying, SEP-7: POST <callback> with form field xdr=<base64 envelope>
//	session:       TorPlus-Session: <base64url of 32 random bytes> on every request
//
// The envelope is a classic payment of the request's amount of the asset
// to its payee, with the request id as MEMO_HASH: the client needs only
// the site and Horizon (for its sequence number), no Soroban RPC.
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
)

// SessionHeader carries the client's session token.
const SessionHeader = "TorPlus-Session"

// ErrChallenge means a response offers no Payment challenge this client
// can read.
var ErrChallenge = errors.New("client: no usable Payment challenge")

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
