package client

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/x402"
)

// siteOffer is what a testnet site on host offers for one request: the
// two Payment challenges (sponsored, then not) and PAYMENT-REQUIRED for
// resource, in asset, paying amount.
func siteOffer(t *testing.T, host, resource, asset string, amount int64, now time.Time) http.Header {
	t.Helper()
	is, err := paymentauth.NewIssuer(host, make([]byte, paymentauth.MinSecretBytes))
	if err != nil {
		t.Fatal(err)
	}
	id := payreq.NewID()
	h := http.Header{}
	for _, sponsored := range []bool{true, false} {
		c, err := is.Challenge(paymentauth.Request{Amount: amount, Currency: asset, Recipient: payreq.MuxedAddress(operator.Address(), id.Number()),
			ExternalID: id.String(), MethodDetails: paymentauth.MethodDetails{Network: x402.NetworkTestnet, FeePayer: sponsored}}, now.Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		h.Add("WWW-Authenticate", c.String())
	}
	v, err := x402.EncodeRequired(x402.PaymentRequired{X402Version: 2, Resource: x402.ResourceInfo{URL: resource},
		Accepts: []x402.Requirements{x402.Exact(x402.NetworkTestnet, asset, operator.Address(), amount, 4*time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	h.Set(x402.HeaderRequired, v)
	return h
}

// TestOffers: which offers of a response the client would pay, in which
// format, and why it pays none.
func TestOffers(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	pol := Policy{NetworkPassphrase: network.TestNetworkPassphrase, AssetCode: "TPT", AssetIssuer: issuer.Address(), Budget: &Budget{}}
	tpt, err := pol.assetContract()
	if err != nil {
		t.Fatal(err)
	}
	other := Policy{NetworkPassphrase: network.TestNetworkPassphrase, AssetCode: "USD", AssetIssuer: issuer.Address()}
	usd, _ := other.assetContract()
	page, _ := url.Parse("http://site.onion/file")
	all := []Format{FormatPayment, FormatX402, FormatPush, FormatClassic}
	tests := []struct {
		name    string
		h       http.Header
		formats []Format
		want    Format
		err     error
	}{
		{name: "Payment pull first", h: siteOffer(t, "site.onion", "http://site.onion/file", tpt, 5, now), formats: all, want: FormatPayment},
		{name: "x402 first", h: siteOffer(t, "site.onion", "http://site.onion/file", tpt, 5, now), formats: []Format{FormatX402, FormatPayment}, want: FormatX402},
		{name: "push answers the unsponsored challenge", h: siteOffer(t, "site.onion", "http://site.onion/file", tpt, 5, now), formats: []Format{FormatPush}, want: FormatPush},
		{name: "another site's challenges", h: siteOffer(t, "evil.onion", "http://site.onion/file", tpt, 5, now), formats: []Format{FormatPayment, FormatPush}, err: ErrOtherSite},
		{name: "another site's resource", h: siteOffer(t, "site.onion", "http://evil.onion/file", tpt, 5, now), formats: []Format{FormatX402}, err: ErrOtherSite},
		{name: "another asset", h: siteOffer(t, "site.onion", "http://site.onion/file", usd, 5, now), formats: all, err: ErrWrongAsset},
		{name: "no offer in our formats", h: http.Header{"Www-Authenticate": siteOffer(t, "site.onion", "", tpt, 5, now)["Www-Authenticate"]}, formats: []Format{FormatX402}, err: ErrChallenge},
		{name: "nothing offered", h: http.Header{}, formats: all, err: ErrChallenge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{policy: pol, now: func() time.Time { return now }}
			o, err := c.choose(tc.h, nil, page, tc.formats)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("choose = %v, %v; want %v", o.format, err, tc.err)
				}
				return
			}
			if err != nil || o.format != tc.want || int64(o.pr.Amount) != 5 {
				t.Fatalf("choose = %v %+v, %v; want %v", o.format, o.pr, err, tc.want)
			}
			if (o.format == FormatX402) != (o.req != nil) || (o.format == FormatX402) == (o.ch != nil) {
				t.Fatalf("offer %+v carries the wrong answer to send", o)
			}
		})
	}
}

// TestFormatNames: every format's name reads back as the format.
func TestFormatNames(t *testing.T) {
	for f := FormatPayment; f <= FormatCallback; f++ {
		if got, err := ParseFormat(f.String()); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := ParseFormat("authorization"); !errors.Is(err, ErrFormat) {
		t.Errorf("ParseFormat(authorization) = %v, want ErrFormat", err)
	}
}
