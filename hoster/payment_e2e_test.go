package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// TestPaymentThroughTor: through the private Tor network, a client with
// TPT downloads several rounds' worth, paying each payment request against
// the simulated Horizon, and is never refused; the operator's TPT balance
// grows by exactly what was requested. A client without funds is throttled
// and then refused with a 402.
func TestPaymentThroughTor(t *testing.T) {
	tn := privateTorNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	hz := clienttest.StartHorizon(t)

	id, blob := startMeteredHoster(ctx, t, tn, 50_000, func(dataDir string) string {
		return `torplus {
			price 1.5
			destination ` + clienttest.Operator.Address() + `
			asset TPT ` + clienttest.Issuer.Address() + `
			network "` + stellarpaytest.Passphrase + `"
			free_round 100KB
			round 200KB
			ask_at 0.5
			grace 5s
			backend horizon ` + hz.URL + `
			settle_timeout 10s
			store sqlite ` + filepath.Join(dataDir, "store.db") + `
		}`
	})
	url := "http://" + id + ".onion/file.bin"

	before, err := hz.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	if err != nil {
		t.Fatal(err)
	}
	payer := payingClient(t, tn.SocksAddr, "payer", hz.URL, clienttest.Payer)
	const fetches = 20 // 1 MB: the free round and several paid rounds
	for i := 0; i < fetches; i++ {
		resp, err := payer.Get(ctx, url)
		if err != nil {
			t.Fatalf("paying client, fetch %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(body) != len(blob) {
			t.Fatalf("paying client, fetch %d: %s, %d bytes, %v", i, resp.Status, len(body), err)
		}
	}
	count, stroops := payer.Paid()
	after, err := hz.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	if err != nil {
		t.Fatal(err)
	}
	if count < 3 || stroops != int64(count)*15_000_000 || after-before != stroops {
		t.Fatalf("paid %d requests, %d stroops; operator's balance grew by %d stroops", count, stroops, after-before)
	}
	t.Logf("paying client: %d fetches, %d payments of 1.5 TPT, operator +%d stroops", fetches, count, after-before)

	broke := payingClient(t, tn.SocksAddr, "broke", hz.URL, clienttest.Broke)
	var refused *client.RefusedError
	for i := 0; i < 40 && refused == nil; i++ {
		resp, err := broke.Get(ctx, url)
		if err != nil {
			if !errors.As(err, &refused) {
				t.Fatalf("client without funds, fetch %d: %v", i, err)
			}
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if refused == nil || refused.Status != http.StatusPaymentRequired || refused.Code != "settlement-failed" || !strings.Contains(refused.Message, "op_underfunded") {
		t.Fatalf("client without funds ended with %+v, want a 402 settlement-failed problem naming op_underfunded", refused)
	}
	if final, _ := hz.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); final != after {
		t.Fatalf("operator's balance moved by %d stroops for a client without funds", final-after)
	}
}

func payingClient(t *testing.T, socks, user, horizon string, key *keypair.Full) *client.Client {
	t.Helper()
	hc, err := client.NewHTTPClient(socks, user, "x", 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{
		HTTP:    hc,
		Horizon: &horizonclient.Client{HorizonURL: horizon, HTTP: &http.Client{Timeout: 30 * time.Second}},
		Key:     key,
		Policy: client.Policy{
			NetworkPassphrase: stellarpaytest.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(),
			Budget: &client.Budget{PerPayment: 15_000_000, Total: 300_000_000},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
