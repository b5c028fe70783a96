package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// TestStellarWaitsForTor: while the hoster's tor cannot carry anything
// (its only bridge refuses connections, so it never bootstraps), a
// visitor's payment is answered with the transient 503
// settlement-pending problem (the payment is kept for later), nothing lands on the ledger, and the RPC (a
// listener on 127.0.0.1 counting connections) is never reached: the
// hoster's Stellar traffic waits for tor, it never goes direct.
func TestStellarWaitsForTor(t *testing.T) {
	rpc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()
	var reached atomic.Int32
	go func() {
		for {
			c, err := rpc.Accept()
			if err != nil {
				return
			}
			reached.Add(1)
			c.Close()
		}
	}()
	hz := clienttest.StartHorizon(t) // the visitor's, for its sequence number
	dataDir := shortDataDir(t)
	torrc := filepath.Join(t.TempDir(), "unready.torrc")
	writeFile(t, torrc, "UseBridges 1\nBridge 127.0.0.1:1\n", 0o600)
	h := startHoster(t, "serve", "--root", siteDir, "--data-dir", dataDir, "--torrc", torrc, "--admin", "off",
		"--pay-to", clienttest.Operator.Address(), "--asset-issuer", clienttest.Issuer.Address(), "--network", stellarpaytest.Passphrase,
		"--stellar-rpc", "http://"+rpc.Addr().String()+"/", "--free-round", "1KB", "--grace", "off")
	h.waitLine(&h.stdout, "reached through this hoster's tor", time.Minute)
	sock := filepath.Join(dataDir, "http.sock")
	waitForSocket(t, sock)

	before, _ := hz.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT)
	var answers bytes.Buffer
	payer := socketClient(t, sock, hz.URL, &answers)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The client's payment is answered 503 settlement-pending, the
	// Payment scheme's problem for an outcome not known yet (the answers
	// hold it, and so does the same credential sent again); the client
	// then gives up or hands the 503 back.
	pending := []byte(`"type":"https://paymentauth.org/problems/settlement-pending","title":"Settlement Pending","status":503`)
	for i := 0; i < 5 && !bytes.Contains(answers.Bytes(), pending); i++ {
		resp, err := payer.Get(ctx, "http://x.onion/index.html")
		if err != nil {
			if refused := (*client.RefusedError)(nil); !errors.As(err, &refused) {
				t.Fatalf("fetch %d: %v", i, err)
			}
			break
		}
		recordAnswer(&answers, resp)
	}
	if !bytes.Contains(answers.Bytes(), pending) {
		t.Fatalf("a payment while tor is not ready: want a %d settlement-pending problem:\n%s", http.StatusServiceUnavailable, answers.String())
	}
	if after, _ := hz.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); after != before {
		t.Fatalf("the payee's balance moved by %d stroops", after-before)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the RPC saw %d direct connection(s) from the hoster", n)
	}
}
