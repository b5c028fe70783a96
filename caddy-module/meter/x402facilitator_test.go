package meter

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/client/wallet"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestX402ThroughFacilitator: with the facilitator option, an x402
// payment is settled by a second implementation of x402, the x402
// Foundation's facilitator (@x402/core with @x402/stellar's exact scheme,
// from npm, pinned), running as a process of its own against the same
// simulated RPC: its account submits and pays the fee, not the hoster's
// fee account; it is reached through the zone's Stellar SOCKS proxy; the
// page is served with PAYMENT-RESPONSE naming that transaction, and the
// payee grows by exactly the amount. The same
// payload again, from another session, buys nothing.
func TestX402ThroughFacilitator(t *testing.T) {
	srv := startRPCNetOn(t, time.Second, network.TestNetworkPassphrase)
	facilitator := rpcsim.X402Facilitator(t, srv.URL, payFacilitator)
	// The zone's Stellar traffic, the facilitator's included, goes through
	// a SOCKS proxy standing in for tor, with the Stellar isolation.
	socks := clienttest.StartSOCKS(t, stellarpay.StellarIsolation, stellarpay.StellarIsolation)
	r := startRPCSite(t, "facilitated", srv, map[string]any{"network": network.TestNetworkPassphrase, "facilitator": facilitator,
		"stellar_socks": socks.Addr()})
	token := newToken()
	_, o := askedAt(t, r.site, r.zone, token)
	acc, tx := sponsoredX402(t, r, o)
	amount, _ := x402.ParseAmount(acc.Amount)
	before, feeSeq := tptOf(t, r.rpc.Ledger, payOperator.Address()), seqOf(t, r.rpc.Ledger, payFee.Address())
	sig, _ := x402.EncodeSignature(x402.PaymentPayload{X402Version: 2, Resource: &o.required.Resource, Accepted: acc,
		Payload: x402.ExactPayload{Transaction: tx}})
	resp, body := payer(token).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig)
	sr, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse))
	if resp.StatusCode != http.StatusOK || err != nil || !sr.Success {
		t.Fatalf("%s %s, PAYMENT-RESPONSE %+v (%v)", resp.Status, body, sr, err)
	}
	landed, err := r.rpc.Ledger.Transaction(sr.Transaction)
	if err != nil || !landed.Successful || landed.Source != payFacilitator.Address() {
		t.Fatalf("PAYMENT-RESPONSE names %s: %+v, %v; want the facilitator's %s", sr.Transaction, landed, err, payFacilitator.Address())
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != amount {
		t.Fatalf("payee received %d, want %d", got, amount)
	}
	if seqOf(t, r.rpc.Ledger, payFee.Address()) != feeSeq {
		t.Fatal("the hoster's fee account submitted too")
	}
	if u, _ := url.Parse(facilitator); !slices.Contains(socks.Targets(), u.Host) {
		t.Fatalf("the facilitator %s was not reached through the SOCKS proxy (it was asked for %v)", u.Host, socks.Targets())
	}
	resp, _ = payer(newToken()).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig)
	if resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("the payload again: %s", resp.Status)
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != amount {
		t.Fatalf("after the replay the payee received %d, want %d", got, amount)
	}
}

// TestFacilitatorOption: the facilitator option is refused where it
// cannot work: not an http(s) URL, a network x402 cannot name, a backend
// without the ledger the payment is verified at.
func TestFacilitatorOption(t *testing.T) {
	for _, tc := range []struct {
		name, url, backend string
		x402               bool
		want               error
	}{
		{name: "rpc on testnet", url: "https://x402.example/f", backend: "rpc", x402: true},
		{name: "unset", backend: "offline"},
		{name: "not http", url: "ftp://x402.example/", backend: "rpc", x402: true, want: stellarpay.ErrConfig},
		{name: "no host", url: "https:///f", backend: "rpc", x402: true, want: stellarpay.ErrConfig},
		{name: "a private network", url: "https://x402.example/f", backend: "rpc", want: stellarpay.ErrConfig},
		{name: "horizon backend", url: "https://x402.example/f", backend: "horizon", x402: true, want: stellarpay.ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Facilitator: tc.url, Backend: tc.backend, log: zap.NewNop(), offers: offers{x402: tc.x402}}
			err := h.provisionFacilitator()
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("provisionFacilitator = %v, want %v", err, tc.want)
			}
			if set := h.offers.facilitator != nil; tc.want == nil && set != (tc.url != "") {
				t.Fatalf("facilitator set: %v", set)
			}
		})
	}
}

// TestX402FacilitatorRefuses: a facilitator that refuses to settle (this
// one's RPC is a closed port, so its simulation fails) gets the payer a
// 402 with PAYMENT-RESPONSE success false; nothing moves, and the request
// is released: the same session pays it afterwards in another format.
func TestX402FacilitatorRefuses(t *testing.T) {
	srv := startRPCNetOn(t, time.Second, network.TestNetworkPassphrase)
	facilitator := rpcsim.X402Facilitator(t, "http://127.0.0.1:9", payFacilitator)
	r := startRPCSite(t, "refusing", srv, map[string]any{"network": network.TestNetworkPassphrase, "facilitator": facilitator})
	token := newToken()
	pr, o := askedAt(t, r.site, r.zone, token)
	acc, tx := sponsoredX402(t, r, o)
	before := tptOf(t, r.rpc.Ledger, payOperator.Address())
	sig, _ := x402.EncodeSignature(x402.PaymentPayload{X402Version: 2, Accepted: acc, Payload: x402.ExactPayload{Transaction: tx}})
	resp, body := payer(token).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig)
	sr, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse))
	if resp.StatusCode != http.StatusPaymentRequired || err != nil || sr.Success || sr.ErrorReason == "" {
		t.Fatalf("%s %s, PAYMENT-RESPONSE %+v (%v)", resp.Status, body, sr, err)
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()); got != before {
		t.Fatalf("the payee received %d", got-before)
	}
	assertCredits(t, r, pr, 0)
	env := r.transfer(o.charges[0].Recipient, o.charges[0].Amount, 100)
	resp, body = payer(token).get(t, r.url(r.zone, "/f.bin"), "Authorization", pull(o.challenges[0], env))
	if resp.StatusCode != http.StatusOK || resp.Header.Get(paymentauth.HeaderReceipt) == "" {
		t.Fatalf("the released request paid in the Payment scheme: %s %s", resp.Status, body)
	}
	assertCredits(t, r, pr, 1)
}

// sponsoredX402 is what an x402 client makes for the first offer of o:
// the payer's SAC transfer of the amount to payTo, authorized for the
// offer's timeout, with the all-zeros source the facilitator replaces.
func sponsoredX402(t *testing.T, r *rpcSite, o offered) (x402.Requirements, string) {
	t.Helper()
	acc := o.required.Accepts[0]
	amount, _ := x402.ParseAmount(acc.Amount)
	w := rpcsim.Wallet{Client: r.client, Passphrase: r.pass}
	tx, err := w.Sponsored(context.Background(), r.call(payPayer, acc.PayTo, amount), payPayer,
		wallet.Ledgers(time.Duration(acc.MaxTimeoutSeconds)*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return acc, tx
}
