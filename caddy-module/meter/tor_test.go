package meter

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/internal/tornet"
)

// TestRPCBackendThroughTor: the handler's Stellar traffic goes through
// the private Tor network (stellar_socks: the client's SOCKS port) to the
// simulated RPC on 127.0.0.1 behind the loopback-only exit. A visitor's
// wallet pays a request's muxed address straight to the network (the
// JavaScript SDK) and the ledger watcher, reading through tor, credits
// the session once; a SAC payment posted to the site is settled through
// tor, and posted again credits nothing. Every connection that reached
// the RPC came from the exit, none from this process. It takes minutes
// (bootstrap); it fails when tor is not installed.
func TestRPCBackendThroughTor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	n, err := tornet.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("private Tor network: %v", err)
	}
	defer n.Stop()
	if err := n.WaitBootstrapped(ctx); err != nil {
		t.Fatalf("private Tor network: %v", err)
	}
	srv := startRPCNet(t, time.Second)
	u, _ := url.Parse(srv.URL)
	rpcAddr := startWitness(t, u.Host)
	// The witness tells a direct connection from this process.
	if resp, err := http.Get(rpcAddr.URL); err == nil {
		resp.Body.Close()
	}
	if conns, direct := rpcAddr.seen(); conns != 1 || len(direct) != 1 {
		t.Fatalf("the witness saw %d connections, %d direct, of one direct GET", conns, len(direct))
	}
	r := startRPCSite(t, "tor", srv, map[string]any{"stellar_rpc": rpcAddr.URL, "stellar_socks": n.SocksAddr,
		"watch_interval": "200ms", "settle_timeout": "60s"})

	tok := newToken()
	pr := r.request(tok)
	if status := r.jsWalletPay(pr.Muxed, payStroops); status != "SUCCESS" {
		t.Fatalf("the wallet's payment ended %s", status)
	}
	// The exit may not be in the consensus yet: the watcher keeps asking.
	if !r.awaitServedWithin(tok, 4*time.Minute) {
		t.Fatal("the wallet's payment never credited the session through tor")
	}
	assertCredits(t, r, pr, 1)

	tok2 := newToken()
	pr2 := r.request(tok2)
	env := r.transfer(pr2.Muxed, payStroops, 100)
	endpoint := r.url("tor", DefaultPaymentEndpoint)
	if status, rf, _ := post(t, endpoint, env); status != 200 {
		t.Fatalf("SAC payment through tor answered %d %+v", status, rf)
	}
	if status, rf, _ := post(t, endpoint, env); status != 409 || rf.Error != stellarpay.ErrReplay.Code {
		t.Fatalf("the same payment again answered %d %+v", status, rf)
	}
	assertCredits(t, r, pr2, 1)
	if conns, direct := rpcAddr.seen(); conns < 2 || len(direct) != 1 {
		t.Fatalf("the RPC saw %d connections, %d from this process (%v): want all but the check's from the exit", conns, len(direct), direct)
	}
}
