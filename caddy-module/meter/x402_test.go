package meter

import (
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/internal/rpcsim"
)

// testnetRPCSite is a zone on the test network's passphrase settling
// through the simulated RPC (plain http, for the hoster), and a second,
// TLS endpoint on the same ledger for the @x402/stellar client, which
// refuses plain http.
func testnetRPCSite(t *testing.T, zone string) (*rpcSite, *rpcsim.Server) {
	t.Helper()
	srv := startRPCNetOn(t, 100*time.Millisecond, network.TestNetworkPassphrase)
	tlsSrv, err := rpcsim.Start(srv.Ledger, rpcsim.Options{Close: -1, TLS: true}) // srv closes the ledgers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tlsSrv.Close() })
	return startRPCSite(t, zone, srv, map[string]any{"network": network.TestNetworkPassphrase}), tlsSrv
}

// TestX402PaysMeteredPage: the unmodified @x402/stellar client (npm) pays
// what PAYMENT-REQUIRED asks; PAYMENT-SIGNATURE on the retried request is
// settled by the hoster (its fee account sponsoring) and the page is
// served with PAYMENT-RESPONSE; the payee grows by exactly the amount.
// The same payload again pays nothing more.
func TestX402PaysMeteredPage(t *testing.T) {
	r, tlsSrv := testnetRPCSite(t, "x402")
	token := newToken()
	_, o := askedAt(t, r.site, "x402", token)
	acc := o.required.Accepts[0]
	amount, _ := x402.ParseAmount(acc.Amount)
	before := tptOf(t, r.rpc.Ledger, payOperator.Address())
	tx := rpcsim.X402Payload(t, tlsSrv, r.contract, payPayer, acc.PayTo, amount)
	sig, _ := x402.EncodeSignature(x402.PaymentPayload{X402Version: 2, Accepted: acc, Payload: x402.ExactPayload{Transaction: tx}})
	resp, _ := payer(token).get(t, r.url("x402", "/f.bin"), x402.HeaderSignature, sig)
	sr, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse))
	if resp.StatusCode != 200 || err != nil || !sr.Success || len(sr.Transaction) != 64 || sr.Network != x402.NetworkTestnet {
		t.Fatalf("%s, PAYMENT-RESPONSE %+v (%v), PAYMENT-REQUIRED %s", resp.Status, sr, err, resp.Header.Get(x402.HeaderRequired))
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != amount {
		t.Fatalf("payee received %d, want %d", got, amount)
	}
	// Replayed, by another session: refused, nothing credited.
	resp, _ = payer(newToken()).get(t, r.url("x402", "/f.bin"), x402.HeaderSignature, sig)
	req, _ := x402.DecodeRequired(resp.Header.Get(x402.HeaderRequired))
	if resp.StatusCode != http.StatusPaymentRequired || req.Error == "" {
		t.Fatalf("replayed payload: %s, error %q", resp.Status, req.Error)
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != amount {
		t.Fatalf("after the replay the payee received %d, want %d", got, amount)
	}
}

// TestPaymentSAC: the IETF Payment scheme's stellar charge with a SAC
// transfer, pull (the hoster submits, sponsoring) and push (the client
// sent it to the network; it is seen on the ledger), each served with a
// Payment-Receipt naming its transaction.
func TestPaymentSAC(t *testing.T) {
	r, _ := testnetRPCSite(t, "mpp")
	t.Run("pull", func(t *testing.T) {
		token := newToken()
		pr, o := askedAt(t, r.site, "mpp", token)
		cr := o.charges[0]
		if !cr.MethodDetails.FeePayer || cr.Recipient != pr.Muxed {
			t.Fatalf("first challenge %+v, want fee-sponsored to %s", cr, pr.Muxed)
		}
		before := tptOf(t, r.rpc.Ledger, payOperator.Address())
		env := r.transfer(cr.Recipient, cr.Amount, 100)
		cred := paymentauth.Credential{Challenge: o.challenges[0], Payload: paymentauth.Payload{Type: "transaction", Transaction: env}}
		resp, _ := payer(token).get(t, r.url("mpp", "/f.bin"), "Authorization", cred.String())
		rc, err := paymentauth.ParseReceipt(resp.Header.Get(paymentauth.HeaderReceipt))
		if resp.StatusCode != 200 || err != nil || rc.ExternalID != pr.ID.String() {
			t.Fatalf("%s, receipt %+v, %v", resp.Status, rc, err)
		}
		if tx, err := r.rpc.Ledger.Transaction(rc.Reference); err != nil || !tx.Successful || tx.Source != payFee.Address() {
			t.Fatalf("receipt names %s: %+v, %v", rc.Reference, tx, err)
		}
		if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != cr.Amount {
			t.Fatalf("payee received %d, want %d", got, cr.Amount)
		}
	})
	t.Run("push", func(t *testing.T) {
		token := newToken()
		pr, o := askedAt(t, r.site, "mpp", token)
		cr := o.charges[1]
		if cr.MethodDetails.FeePayer || cr.Recipient != pr.Muxed {
			t.Fatalf("second challenge %+v, want unsponsored to %s", cr, pr.Muxed)
		}
		hash := r.walletPay(cr.Recipient, cr.Amount)
		if _, err := hex.DecodeString(hash); err != nil {
			t.Fatal(err)
		}
		cred := paymentauth.Credential{Challenge: o.challenges[1], Payload: paymentauth.Payload{Type: "hash", Hash: hash}}
		resp, body := payer(token).get(t, r.url("mpp", "/f.bin"), "Authorization", cred.String())
		rc, err := paymentauth.ParseReceipt(resp.Header.Get(paymentauth.HeaderReceipt))
		if resp.StatusCode != 200 || err != nil || rc.Reference != hash {
			t.Fatalf("%s %s, receipt %+v, %v", resp.Status, body, rc, err)
		}
		assertCredits(t, r, pr, 1)
	})
}
