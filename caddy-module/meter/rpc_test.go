package meter

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
)

// TestRPCBackendSettlesSACPayments: with backend rpc the site settles a
// token-contract payment posted to it — built by the Go SDK or by the
// official JavaScript SDK, to the request's muxed destination, or to the
// bare payee with the request's id in an Authorization credential —
// rebuilt with the fee account as source. The same payment posted again
// credits nothing more, and the ledger watcher does not take the
// transfer it sees for a wallet's payment of its own.
func TestRPCBackendSettlesSACPayments(t *testing.T) {
	srv := startRPCNet(t, 100*time.Millisecond)
	r := startRPCSite(t, "sac", srv, nil)
	endpoint := r.url("sac", DefaultPaymentEndpoint)
	// The signature's validity: 15 s of the test clock, enough for a slow
	// machine to run the JavaScript SDK; 750 s (at 5 s a ledger) to the
	// verifier, within the request's 15 minutes.
	const ledgers = 150
	for _, tc := range []struct {
		name  string
		build func(to string) string
		bare  bool // to the payee's G… address, the request named by the credential
	}{
		{name: "Go SDK", build: func(to string) string { return r.transfer(to, payStroops, ledgers) }},
		{name: "JavaScript SDK", build: func(to string) string { return r.jsTransfer(to, payStroops, ledgers) }},
		{name: "credential to the bare payee", bare: true, build: func(to string) string { return r.transfer(to, payStroops, ledgers) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := newToken()
			pr := r.request(tok)
			before := tptOf(t, srv.Ledger, payOperator.Address())
			if tc.bare {
				env := tc.build(pr.Destination)
				hdr := credentialFor(t, pr.ID, env)
				if resp, body := (&client{Client: http.DefaultClient, token: tok}).get(t, r.url("sac", "/f.bin"), "Authorization", hdr); resp.StatusCode != 200 {
					t.Fatalf("credential answered %s %s", resp.Status, body)
				}
			} else {
				env := tc.build(pr.Muxed)
				if status, rf, _ := post(t, endpoint, env); status != 200 {
					t.Fatalf("payment answered %d %+v", status, rf)
				}
				if status, rf, _ := post(t, endpoint, env); status != 409 || rf.Error != stellarpay.ErrReplay.Code {
					t.Fatalf("the same payment again answered %d %+v", status, rf)
				}
			}
			if got := tptOf(t, srv.Ledger, payOperator.Address()) - before; got != payStroops {
				t.Fatalf("payee received %d stroops, want %d", got, payStroops)
			}
			if r.served(tok) != 200 {
				t.Fatal("paid session not served")
			}
		})
	}
	r.awaitLedgers(5)
	time.Sleep(100 * time.Millisecond) // the watcher's interval is 20 ms
	if got := r.sightings(""); len(got) != 0 {
		t.Fatalf("the site's own settlements seen as wallet payments: %+v", got)
	}
	var prs []PaymentRequestInfo
	r.adminGet("/torplus/payment-requests?zone=sac&state=paid", &prs)
	if len(prs) != 3 || prs[0].Muxed == "" || prs[0].Muxed != payreqMuxed(prs[0].Request, prs[0].ID.Number()) {
		t.Fatalf("paid requests %+v, want 3 with their muxed destination", prs)
	}
}

// TestRPCBackendRefusesSACPayments: refusals of token-contract payments,
// each with its code.
func TestRPCBackendRefusesSACPayments(t *testing.T) {
	srv := startRPCNet(t, 50*time.Millisecond)
	r := startRPCSite(t, "refuse", srv, nil)
	endpoint := r.url("refuse", DefaultPaymentEndpoint)
	pr := r.request(newToken())
	other := r.request(newToken())
	for _, tc := range []struct {
		name   string
		env    string
		status int
		code   string
	}{
		{"to the bare payee without an id", r.transfer(pr.Destination, payStroops, 100), 400, stellarpay.ErrDestination.Code},
		{"less than asked", r.transfer(pr.Muxed, payStroops-1, 100), 400, stellarpay.ErrAmount.Code},
		{"valid past the request's expiry", r.transfer(pr.Muxed, payStroops, 1_000), 400, stellarpay.ErrTimeBounds.Code},
		{"to an unknown request", r.transfer(payreqMuxed(pr, pr.ID.Number()+1), payStroops, 100), 404, settlement.ErrUnknownRequest.Code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, rf, _ := post(t, endpoint, tc.env); status != tc.status || rf.Error != tc.code {
				t.Fatalf("answered %d %+v, want %d %s", status, rf, tc.status, tc.code)
			}
		})
	}
	t.Run("credential naming another request than the muxed id", func(t *testing.T) {
		hdr := credentialFor(t, other.ID, r.transfer(pr.Muxed, payStroops, 100))
		resp, body := (&client{Client: http.DefaultClient, token: newToken()}).get(t, r.url("refuse", "/f.bin"), "Authorization", hdr)
		if resp.StatusCode != 402 || problemCode(body) != paymentauth.ErrVerification.Code || !strings.Contains(string(body), "muxed destination") {
			t.Fatalf("answered %s %s", resp.Status, body)
		}
	})
}

// TestWalletPaymentSeenOnLedger: a visitor's wallet pays the request's
// muxed address straight to the network (the JavaScript SDK builds,
// signs and sends it); the zone's ledger watcher credits the session,
// once. Events read again (the cursor rewound, as after a crash before it
// was saved) credit nothing more; a payment made while the site is down
// is credited when it is back, from the cursor the store kept.
func TestWalletPaymentSeenOnLedger(t *testing.T) {
	srv := startRPCNet(t, 100*time.Millisecond)
	r := startRPCSite(t, "wallet", srv, nil)
	tok := newToken()
	pr := r.request(tok)
	if status := r.jsWalletPay(pr.Muxed, payStroops); status != "SUCCESS" {
		t.Fatalf("the wallet's payment ended %s", status)
	}
	if !r.awaitServed(tok) {
		t.Fatal("the wallet's payment never credited the session")
	}
	credited := r.awaitSightings(store.SightingCredited, 1)
	if len(credited) != 1 || credited[0].PaymentRequest != pr.ID || credited[0].Amount != payStroops || credited[0].From != payPayer.Address() {
		t.Fatalf("sightings %+v", credited)
	}

	t.Run("events read again credit nothing more", func(t *testing.T) {
		rewindCursor(t, r, "wallet")
		r.load(r.cfg) // a restart of the handler: the watcher starts from the rewound cursor
		r.awaitLedgers(3)
		time.Sleep(100 * time.Millisecond)
		assertCredits(t, r, pr, 1)
		if got := r.sightings(""); len(got) != 1 {
			t.Fatalf("sightings after reading again: %+v", got)
		}
	})

	t.Run("paid while the site was down", func(t *testing.T) {
		tok2 := newToken()
		pr2 := r.request(tok2)
		stopCaddy(t)
		r.walletPay(pr2.Muxed, payStroops)
		r.awaitLedgers(2)
		r.load(r.cfg)
		if !r.awaitServed(tok2) {
			t.Fatal("a payment made while the site was down never credited")
		}
		assertCredits(t, r, pr2, 1)
	})
}

// TestLedgerPaymentsShortLateUnmatched: a payment for less, one after its
// request expired and one naming no request are recorded and listed by
// the admin API, never credited; a classic payment with the request's
// text memo credits it.
func TestLedgerPaymentsShortLateUnmatched(t *testing.T) {
	srv := startRPCNet(t, 50*time.Millisecond)
	r := startRPCSite(t, "owner", srv, map[string]any{"request_ttl": "3s"})
	short, late, memo := newToken(), newToken(), newToken()
	prShort, prLate, prMemo := r.request(short), r.request(late), r.request(memo)

	r.walletPay(prShort.Muxed, payStroops-1)
	r.send(memoPayment(t, r, prMemo))
	r.walletPay(payreqMuxed(prShort, 42), payStroops)
	for time.Now().Before(prLate.ExpiresAt.Add(200 * time.Millisecond)) {
		time.Sleep(50 * time.Millisecond)
	}
	r.walletPay(prLate.Muxed, payStroops)

	for verdict, want := range map[string]payreqID{store.SightingShort: prShort.ID, store.SightingLate: prLate.ID,
		store.SightingCredited: prMemo.ID, store.SightingUnmatched: {}} {
		got := r.awaitSightings(verdict, 1)
		if len(got) != 1 || got[0].PaymentRequest != want || got[0].TxHash == "" {
			t.Errorf("%s: %+v, want one for %s", verdict, got, want)
		}
	}
	if r.served(short) == 200 || r.served(late) == 200 {
		t.Fatal("a short or late payment bought bytes")
	}
	if !r.awaitServed(memo) {
		t.Fatal("the payment with the request's memo did not credit it")
	}
}
