package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// newClient returns a client of the paywall paying from key through a
// SOCKS5 proxy that requires credentials.
func newClient(t *testing.T, p *clienttest.Paywall, key *keypair.Full, formats []client.Format, budget *client.Budget) (*client.Client, *clienttest.SOCKS) {
	t.Helper()
	socks := clienttest.StartSOCKS(t, "torplus", "isolate-me")
	hc, err := client.NewHTTPClient(socks.Addr(), "torplus", "isolate-me", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections) // runs before the proxy's cleanup waits for its connections
	c, err := client.New(client.Config{
		HTTP: hc, Horizon: &horizonclient.Client{HorizonURL: p.Horizon.URL, HTTP: &http.Client{}}, Key: key,
		Policy:  client.Policy{NetworkPassphrase: spt.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(), Budget: budget},
		Formats: formats, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, socks
}

func TestGetPays(t *testing.T) {
	tests := []struct {
		name       string
		formats    []client.Format
		notice     bool
		challenges int // 402s the site sends in 7 fetches
	}{
		{name: "402 paid with Authorization", challenges: 4},
		{name: "402 paid through the SEP-7 callback", formats: []client.Format{client.FormatCallback}, challenges: 4},
		{name: "paid early, never stalled", notice: true, challenges: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := clienttest.StartPaywall(t, tc.notice)
			budget := &client.Budget{PerPayment: 20_000_000, Total: 100_000_000}
			c, socks := newClient(t, p, clienttest.Payer, tc.formats, budget)
			for i := range 7 {
				resp, err := c.Get(context.Background(), p.URL+"/file")
				if err != nil {
					t.Fatalf("fetch %d: %v", i, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != "the content" {
					t.Fatalf("fetch %d: %d %q", i, resp.StatusCode, body)
				}
			}
			count, stroops := c.Paid()
			got, _ := p.Horizon.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
			if count < 4 || got != int64(count)*15_000_000 || stroops != got || budget.Spent() != got {
				t.Fatalf("%d payments of %d stroops, budget spent %d; operator received %d", count, stroops, budget.Spent(), got)
			}
			if n := p.Challenges(); n != tc.challenges {
				t.Fatalf("site sent %d 402s, want %d", n, tc.challenges)
			}
			u, _ := url.Parse(p.URL)
			for _, target := range socks.Targets() {
				if target != u.Host {
					t.Fatalf("SOCKS proxy was asked for %s", target)
				}
			}
			if len(socks.Targets()) == 0 {
				t.Fatal("nothing went through the SOCKS proxy")
			}
		})
	}
}

func TestGetWithoutFunds(t *testing.T) {
	p := clienttest.StartPaywall(t, false)
	c, _ := newClient(t, p, clienttest.Broke, nil, &client.Budget{PerPayment: 20_000_000, Total: 100_000_000})
	_, err := c.Get(context.Background(), p.URL+"/file")
	var refused *client.RefusedError
	if !errors.As(err, &refused) || refused.Code != "payment_rejected" || refused.Status != http.StatusPaymentRequired {
		t.Fatalf("Get = %v, want a payment_rejected refusal", err)
	}
	if !strings.Contains(refused.Message, "op_underfunded") {
		t.Fatalf("refusal does not say why: %q", refused.Message)
	}
	if got, _ := p.Horizon.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); got != 0 {
		t.Fatalf("operator received %d", got)
	}
}

func TestGetOverBudget(t *testing.T) {
	p := clienttest.StartPaywall(t, false)
	c, _ := newClient(t, p, clienttest.Payer, nil, &client.Budget{PerPayment: 20_000_000, Total: 20_000_000})
	var err error
	for i := 0; i < 4 && err == nil; i++ {
		var resp *http.Response
		if resp, err = c.Get(context.Background(), p.URL+"/file"); err == nil {
			resp.Body.Close()
		}
	}
	if !errors.Is(err, client.ErrOverBudget) {
		t.Fatalf("want client.ErrOverBudget, got %v", err)
	}
	if count, _ := c.Paid(); count != 1 {
		t.Fatalf("%d payments, want 1", count)
	}
}
