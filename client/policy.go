package client

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/torplus/torplus/caddy-module/payreq"
)

// Refusals of a payment request by the client's own checks.
var (
	// ErrWrongNetwork means the request is for another Stellar network.
	ErrWrongNetwork = errors.New("client: payment request is for another network")
	// ErrWrongAsset means the request asks for another asset or issuer.
	ErrWrongAsset = errors.New("client: payment request asks for another asset")
	// ErrBadRequest means a field of the request is invalid.
	ErrBadRequest = errors.New("client: invalid payment request")
	// ErrExpired means the request expired already.
	ErrExpired = errors.New("client: payment request expired")
	// ErrOverBudget means paying would exceed the user's budget.
	ErrOverBudget = errors.New("client: payment request exceeds the budget")
	// ErrCallback means the SEP-7 callback is unusable or points elsewhere.
	ErrCallback = errors.New("client: unusable payment callback")
)

// Policy is what the user is willing to pay: on which network, in which
// asset, and how much.
type Policy struct {
	// NetworkPassphrase of the network to pay on.
	NetworkPassphrase string
	// AssetCode and AssetIssuer of the asset to pay in (TPT).
	AssetCode, AssetIssuer string
	// Budget bounds the spending.
	Budget *Budget
}

// Budget bounds spending, in stroops. It is safe for concurrent use.
type Budget struct {
	// PerPayment is the most one payment may cost.
	PerPayment int64
	// Total is the most all payments together may cost.
	Total int64

	mu    sync.Mutex
	spent int64
}

// Spent returns what was reserved so far.
func (b *Budget) Spent() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// reserve takes amt from the budget, or refuses with ErrOverBudget.
func (b *Budget) reserve(amt int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if amt > b.PerPayment {
		return fmt.Errorf("%w: %s per payment is the limit, %s asked", ErrOverBudget,
			payreq.Amount(b.PerPayment), payreq.Amount(amt))
	}
	if b.spent+amt > b.Total {
		return fmt.Errorf("%w: %s of %s spent, %s more asked", ErrOverBudget,
			payreq.Amount(b.spent), payreq.Amount(b.Total), payreq.Amount(amt))
	}
	b.spent += amt
	return nil
}

// release gives back a reservation for a payment that was never sent.
func (b *Budget) release(amt int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spent -= amt
}

// checked is a payment request that passed the checks.
type checked struct {
	PaymentRequest
	id       [32]byte
	stroops  int64
	callback *url.URL // nil when the request has none
}

// check validates r against the policy (not the budget) for a page
// fetched from page at time now.
func (p *Policy) check(r PaymentRequest, page *url.URL, now time.Time) (*checked, error) {
	c := &checked{PaymentRequest: r, id: r.ID}
	var err error
	if r.NetworkPassphrase != p.NetworkPassphrase {
		return nil, fmt.Errorf("%w: %q, we pay on %q", ErrWrongNetwork, r.NetworkPassphrase, p.NetworkPassphrase)
	}
	if r.AssetCode != p.AssetCode || r.AssetIssuer != p.AssetIssuer {
		return nil, fmt.Errorf("%w: %s:%s, we pay in %s:%s", ErrWrongAsset, r.AssetCode, r.AssetIssuer, p.AssetCode, p.AssetIssuer)
	}
	if !strkey.IsValidEd25519PublicKey(r.Destination) {
		return nil, fmt.Errorf("%w: destination %q is not an account id", ErrBadRequest, r.Destination)
	}
	if c.stroops = int64(r.Amount); c.stroops <= 0 {
		return nil, fmt.Errorf("%w: amount %s is not positive", ErrBadRequest, r.Amount)
	}
	if !r.ExpiresAt.After(now) {
		return nil, fmt.Errorf("%w at %s", ErrExpired, r.ExpiresAt.Format(time.RFC3339))
	}
	if r.URI != "" {
		if c.callback, err = checkURI(r, page); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkURI checks that the SEP-7 URI says what the JSON says and returns
// its callback, which must be on the same site as the page.
func checkURI(r PaymentRequest, page *url.URL) (*url.URL, error) {
	rest, ok := strings.CutPrefix(r.URI, "web+stellar:pay?")
	if !ok {
		return nil, fmt.Errorf("%w: uri is not a web+stellar:pay URI", ErrBadRequest)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: uri query: %v", ErrBadRequest, err)
	}
	for k, want := range map[string]string{"destination": r.Destination, "asset_code": r.AssetCode,
		"asset_issuer": r.AssetIssuer, "network_passphrase": r.NetworkPassphrase} {
		if v, ok := q[k]; ok && v[0] != want {
			return nil, fmt.Errorf("%w: uri %s %q differs from the request's %q", ErrBadRequest, k, v[0], want)
		}
	}
	if v := q.Get("amount"); v != "" {
		if a, err := payreq.ParseAmount(v); err != nil || a != r.Amount {
			return nil, fmt.Errorf("%w: uri amount %q differs from the request's %q", ErrBadRequest, v, r.Amount)
		}
	}
	if v := q.Get("memo"); v != "" {
		m, err := base64.StdEncoding.DecodeString(v)
		if err != nil || hex.EncodeToString(m) != r.ID.String() || q.Get("memo_type") != "MEMO_HASH" {
			return nil, fmt.Errorf("%w: uri memo differs from the request id", ErrBadRequest)
		}
	}
	cb := q.Get("callback")
	if cb == "" {
		return nil, nil
	}
	raw, ok := strings.CutPrefix(cb, "url:")
	if !ok {
		return nil, fmt.Errorf("%w: callback %q lacks the url: prefix", ErrCallback, cb)
	}
	u, err := page.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: callback %q is not an http(s) URL", ErrCallback, raw)
	}
	if !strings.EqualFold(u.Host, page.Host) {
		return nil, fmt.Errorf("%w: callback host %q is not the site's %q", ErrCallback, u.Host, page.Host)
	}
	return u, nil
}
