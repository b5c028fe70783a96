package client

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

var payer, operator, issuer = spt.Payer, spt.Operator, spt.Issuer

// abID is the id 0xabab…, whose memo the good request's URI carries.
var abID = func() payreq.ID {
	var id payreq.ID
	for i := range id {
		id[i] = 0xab
	}
	return id
}()

func TestPolicyCheck(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	page, _ := url.Parse("http://site.onion/file")
	good := func() PaymentRequest {
		return PaymentRequest{ID: abID, Destination: operator.Address(), AssetCode: "TPT",
			AssetIssuer: issuer.Address(), Amount: 15_000_000, NetworkPassphrase: "net", Bytes: 1 << 20,
			ExpiresAt: now.Add(time.Minute),
			URI: "web+stellar:pay?destination=" + operator.Address() + "&amount=1.5000000&memo=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s%3D&memo_type=MEMO_HASH" +
				"&callback=url%3Ahttp%3A%2F%2Fsite.onion%2Fpay"}
	}
	tests := []struct {
		name string
		edit func(*PaymentRequest)
		want error
	}{
		{name: "good"},
		{name: "no uri", edit: func(r *PaymentRequest) { r.URI = "" }},
		{name: "other network", edit: func(r *PaymentRequest) { r.NetworkPassphrase = network.PublicNetworkPassphrase }, want: ErrWrongNetwork},
		{name: "other asset", edit: func(r *PaymentRequest) { r.AssetCode = "XLM" }, want: ErrWrongAsset},
		{name: "other issuer", edit: func(r *PaymentRequest) { r.AssetIssuer = payer.Address() }, want: ErrWrongAsset},
		{name: "bad destination", edit: func(r *PaymentRequest) { r.Destination = "GABC" }, want: ErrBadRequest},
		// A malformed id or amount never gets this far: payreq's JSON refuses it.
		{name: "zero", edit: func(r *PaymentRequest) { r.Amount = 0; r.URI = "" }, want: ErrBadRequest},
		{name: "expired", edit: func(r *PaymentRequest) { r.ExpiresAt = now }, want: ErrExpired},
		{name: "uri amount differs", edit: func(r *PaymentRequest) { r.Amount = 14_000_000 }, want: ErrBadRequest},
		{name: "uri memo differs", edit: func(r *PaymentRequest) { r.ID = payreq.ID{0xcd} }, want: ErrBadRequest},
		{name: "not SEP-7", edit: func(r *PaymentRequest) { r.URI = "https://evil/" }, want: ErrBadRequest},
		{name: "callback elsewhere", edit: func(r *PaymentRequest) {
			r.URI = strings.Replace(r.URI, "site.onion", "evil.onion", 1)
		}, want: ErrCallback},
		{name: "callback without url:", edit: func(r *PaymentRequest) {
			r.URI = strings.Replace(r.URI, "url%3A", "", 1)
		}, want: ErrCallback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			if tc.edit != nil {
				tc.edit(&r)
			}
			pol := Policy{NetworkPassphrase: "net", AssetCode: "TPT", AssetIssuer: issuer.Address()}
			c, err := pol.check(r, page, now)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("check = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || c.stroops != 15_000_000 {
				t.Fatalf("check = %+v, %v", c, err)
			}
			if r.URI != "" && c.callback.String() != "http://site.onion/pay" {
				t.Fatalf("callback %v", c.callback)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	b := &Budget{PerPayment: 10, Total: 25}
	for i, tc := range []struct {
		amt int64
		ok  bool
	}{{11, false}, {10, true}, {10, true}, {10, false}, {5, true}, {1, false}} {
		if err := b.reserve(tc.amt); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrOverBudget)) {
			t.Fatalf("step %d: reserve(%d) = %v", i, tc.amt, err)
		}
	}
	if b.Spent() != 25 {
		t.Fatalf("spent %d", b.Spent())
	}
}

// FuzzPolicyCheck feeds arbitrary amounts and SEP-7 URIs to the request
// checks: no panic, and an accepted callback is always on the page's host.
func FuzzPolicyCheck(f *testing.F) {
	f.Add("1.5", "web+stellar:pay?amount=1.5&callback=url%3Ahttp%3A%2F%2Fsite.onion%2Fpay")
	f.Add("0.0000001", "web+stellar:pay?memo=q6s%3D&memo_type=MEMO_HASH")
	f.Add("1", "web+stellar:pay?callback=url%3A%2F%2Fevil.onion%2Fpay")
	now := time.Unix(1_800_000_000, 0)
	page, _ := url.Parse("http://site.onion/file")
	pol := Policy{NetworkPassphrase: "net", AssetCode: "TPT", AssetIssuer: issuer.Address()}
	f.Fuzz(func(t *testing.T, amount, uri string) {
		a, err := payreq.ParseAmount(amount)
		if err != nil {
			return
		}
		r := PaymentRequest{ID: abID, Destination: operator.Address(), AssetCode: "TPT",
			AssetIssuer: issuer.Address(), Amount: a, NetworkPassphrase: "net", ExpiresAt: now.Add(time.Minute), URI: uri}
		c, err := pol.check(r, page, now)
		if err != nil {
			return
		}
		if c.stroops <= 0 || (c.callback != nil && !strings.EqualFold(c.callback.Host, page.Host)) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
