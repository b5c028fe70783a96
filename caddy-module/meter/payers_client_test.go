package meter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/x402"
	payclient "github.com/torplus/torplus/client"
)

// standardClient is the paying client (client package) of r's network,
// paying through r's simulated RPC in the given formats (nil: its default
// order) within budget; its log lines go to log (Get runs on the test's
// goroutine).
func standardClient(t *testing.T, r *rpcSite, formats []payclient.Format, budget *payclient.Budget, log *strings.Builder) *payclient.Client {
	t.Helper()
	c, err := payclient.New(payclient.Config{
		HTTP: socksHTTP(t), RPC: r.client, Key: payPayer, Formats: formats,
		Policy: payclient.Policy{NetworkPassphrase: r.pass, AssetCode: "TPT", AssetIssuer: payIssuer.Address(), Budget: budget},
		Logf:   func(f string, args ...any) { fmt.Fprintf(log, f+"\n", args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// payersRPCSite is a zone on the test network (x402 and the Payment
// scheme both offered) settling through a simulated RPC of 1 s ledgers;
// a round is two fetches of f.bin, announced early on the second.
func payersRPCSite(t *testing.T, zone string) *rpcSite {
	t.Helper()
	srv := startRPCNetOn(t, time.Second, network.TestNetworkPassphrase)
	return startRPCSite(t, zone, srv, map[string]any{"network": network.TestNetworkPassphrase, "round_bytes": 2000,
		"settle_timeout": "3s"})
}

// getAll fetches f.bin n times with c, failing unless each is served.
func getAll(t *testing.T, r *rpcSite, c *payclient.Client, n int) {
	t.Helper()
	for i := range n {
		resp, err := c.Get(context.Background(), r.url(r.zone, "/f.bin"))
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) != 1000 {
			t.Fatalf("fetch %d: %s, %d bytes", i, resp.Status, len(body))
		}
	}
}

// TestClientPaysStandardFormats: the paying client, written to the
// drafts, pays the real meter in each standard format through the
// simulated RPC: the Payment scheme's stellar charge in pull mode (the
// site's fee account submits the client's signed SAC transfer) and in
// push mode (the client submits it and sends the hash), and x402 exact.
// Each payment buys one round; the payee grows by exactly what the client
// paid, and the budget says the same.
func TestClientPaysStandardFormats(t *testing.T) {
	r := payersRPCSite(t, "formats")
	for _, tc := range []struct {
		name    string
		formats []payclient.Format
		used    string // the format the client's log names
		ownTx   bool   // the payer's own transaction (its sequence moves)
	}{
		{name: "Payment pull", formats: []payclient.Format{payclient.FormatPayment}, used: "in payment"},
		{name: "Payment push", formats: []payclient.Format{payclient.FormatPush}, used: "in push", ownTx: true},
		{name: "x402", formats: []payclient.Format{payclient.FormatX402}, used: "in x402"},
		{name: "default order: a standard first", used: "in payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log strings.Builder
			budget := &payclient.Budget{PerPayment: payStroops, Total: 10 * payStroops}
			c := standardClient(t, r, tc.formats, budget, &log)
			before, seq := tptOf(t, r.rpc.Ledger, payOperator.Address()), seqOf(t, r.rpc.Ledger, payPayer.Address())
			getAll(t, r, c, 5)
			count, stroops := c.Paid()
			got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before
			if count != 3 || stroops != 3*payStroops || got != stroops || budget.Spent() != stroops {
				t.Fatalf("%d payments of %d stroops in all, budget spent %d; the payee received %d\n%s", count, stroops, budget.Spent(), got, log.String())
			}
			if !strings.Contains(log.String(), tc.used) {
				t.Fatalf("the client did not pay %s:\n%s", tc.used, log.String())
			}
			if moved := seqOf(t, r.rpc.Ledger, payPayer.Address()) != seq; moved != tc.ownTx {
				t.Fatalf("the payer's sequence moved: %v, want %v", moved, tc.ownTx)
			}
		})
	}
}

// TestClientBudgetAcrossFormats: one budget, spent in three formats,
// holds: the payment that would pass it is not made, in any format.
func TestClientBudgetAcrossFormats(t *testing.T) {
	r := payersRPCSite(t, "budget")
	var log strings.Builder
	budget := &payclient.Budget{PerPayment: payStroops, Total: 2 * payStroops}
	before := tptOf(t, r.rpc.Ledger, payOperator.Address())
	for i, f := range []payclient.Format{payclient.FormatX402, payclient.FormatPush, payclient.FormatPayment} {
		c := standardClient(t, r, []payclient.Format{f}, budget, &log)
		resp, err := c.Get(context.Background(), r.url(r.zone, "/f.bin"))
		if i < 2 {
			if err != nil {
				t.Fatalf("%s: %v\n%s", f, err, log.String())
			}
			resp.Body.Close()
			continue
		}
		if !errors.Is(err, payclient.ErrOverBudget) {
			t.Fatalf("%s past the budget: %v, want ErrOverBudget", f, err)
		}
	}
	if got := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; got != 2*payStroops || budget.Spent() != got {
		t.Fatalf("the payee received %d, the budget spent %d; want %d", got, budget.Spent(), 2*payStroops)
	}
}

// TestClientRefusesOffers: what the client must not pay, whatever the
// format, and that nothing moves when it does not.
func TestClientRefusesOffers(t *testing.T) {
	r := payersRPCSite(t, "refuse")
	// A site relaying the real site's 402 under its own name: its
	// challenges name the real realm, its x402 resource the real host.
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		resp, _ := payer(newToken()).get(t, r.url(r.zone, "/f.bin"))
		for _, k := range []string{"WWW-Authenticate", x402.HeaderRequired, "Cache-Control"} {
			for _, v := range resp.Header.Values(k) {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
	}))
	t.Cleanup(relay.Close)
	every := []payclient.Format{payclient.FormatPayment, payclient.FormatX402, payclient.FormatPush}
	for _, tc := range []struct {
		name       string
		url        string
		formats    []payclient.Format
		per, total int64 // the budget
		want       error
	}{
		{name: "Payment: more than one payment may cost", formats: every[:1], per: payStroops - 1, total: 10 * payStroops, want: payclient.ErrOverBudget},
		{name: "x402: more than one payment may cost", formats: every[1:2], per: payStroops - 1, total: 10 * payStroops, want: payclient.ErrOverBudget},
		{name: "push: more than is left", formats: every[2:], per: payStroops, total: payStroops - 1, want: payclient.ErrOverBudget},
		{name: "Payment: another site's challenge", url: relay.URL + "/f.bin", formats: every[:1], per: payStroops, total: payStroops, want: payclient.ErrOtherSite},
		{name: "x402: another site's resource", url: relay.URL + "/f.bin", formats: every[1:2], per: payStroops, total: payStroops, want: payclient.ErrOtherSite},
		{name: "push: another site's challenge", url: relay.URL + "/f.bin", formats: every[2:], per: payStroops, total: payStroops, want: payclient.ErrOtherSite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log strings.Builder
			budget := &payclient.Budget{PerPayment: tc.per, Total: tc.total}
			c := standardClient(t, r, tc.formats, budget, &log)
			before, seq := tptOf(t, r.rpc.Ledger, payPayer.Address()), seqOf(t, r.rpc.Ledger, payPayer.Address())
			u := tc.url
			if u == "" {
				u = r.url(r.zone, "/f.bin")
			}
			_, err := c.Get(context.Background(), u)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get = %v, want %v\n%s", err, tc.want, log.String())
			}
			r.awaitLedgers(2) // a payment sent would have landed
			if n, _ := c.Paid(); n != 0 || budget.Spent() != 0 || tptOf(t, r.rpc.Ledger, payPayer.Address()) != before ||
				seqOf(t, r.rpc.Ledger, payPayer.Address()) != seq {
				t.Fatalf("%d payments, %d spent, the payer's TPT %d → %d", n, budget.Spent(), before, tptOf(t, r.rpc.Ledger, payPayer.Address()))
			}
		})
	}
}

// TestPushSomeoneElsesHash: a push credential naming a transaction that
// paid another session's request (seen on the ledger, real and
// successful, but not made for this challenge) is refused with the
// draft's problem and a fresh challenge; it credits nothing, and the
// request it did pay is credited once, to its own session.
func TestPushSomeoneElsesHash(t *testing.T) {
	r := payersRPCSite(t, "someone")
	victim, thief := newToken(), newToken()
	paid, po := askedAt(t, r.site, r.zone, victim)
	hash := r.walletPay(po.charges[1].Recipient, po.charges[1].Amount)
	if !r.awaitServed(victim) {
		t.Fatal("the victim's own payment never served it")
	}
	pr, o := askedAt(t, r.site, r.zone, thief)
	cred := paymentauth.Credential{Challenge: o.challenges[1], Payload: paymentauth.Payload{Type: paymentauth.PayloadHash, Hash: hash}}
	resp, body := payer(thief).get(t, r.url(r.zone, "/f.bin"), "Authorization", cred.String())
	if resp.StatusCode != http.StatusPaymentRequired || problemCode(body) != "verification-failed" || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("someone else's hash: %s %s", resp.Status, body)
	}
	assertCredits(t, r, pr, 0)
	assertCredits(t, r, paid, 1)
	if r.served(thief) != http.StatusPaymentRequired {
		t.Fatal("the thief was served")
	}
}
