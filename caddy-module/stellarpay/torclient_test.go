package stellarpay_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestRPCSettlesThroughSOCKS settles a payment with the RPC client given
// by TorHTTPClient, through a SOCKS5 proxy standing in for tor's
// SocksPort (the private Tor network is the hoster's end-to-end test):
// every request reached the RPC as a CONNECT of the proxy, under the
// Stellar isolation credentials (the proxy refuses others).
func TestRPCSettlesThroughSOCKS(t *testing.T) {
	socks := clienttest.StartSOCKS(t, stellarpay.StellarIsolation, stellarpay.StellarIsolation)
	host := settleThrough(t, socks.Addr())
	targets := socks.Targets()
	if len(targets) == 0 {
		t.Fatal("no connection went through the proxy")
	}
	for _, tg := range targets {
		if tg != host {
			t.Errorf("the proxy was asked for %s, want only %s", tg, host)
		}
	}
}

// TestRPCSettlesThroughUnixSOCKS does the same through a SocksPort on a
// unix socket (as the hoster's tor has it in its data dir): the socket
// relays to the proxy, which records what was asked.
func TestRPCSettlesThroughUnixSOCKS(t *testing.T) {
	socks := clienttest.StartSOCKS(t, stellarpay.StellarIsolation, stellarpay.StellarIsolation)
	path := filepath.Join(t.TempDir(), "socks")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", socks.Addr())
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	host := settleThrough(t, "unix:"+path)
	if targets := socks.Targets(); len(targets) == 0 || targets[0] != host {
		t.Fatalf("through the unix socket the proxy was asked for %v, want %s", targets, host)
	}
}

// settleThrough settles a classic payment through a simulated RPC on
// 127.0.0.1 with an RPC client that goes through the SOCKS port at socks,
// and returns the RPC's host:port.
func settleThrough(t *testing.T, socksAddr string) string {
	t.Helper()
	tpt := simledger.Asset{Code: "TPT", Issuer: spt.Issuer.Address()}
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: spt.Issuer.Address(), Balance: "100"},
		{Address: spt.Operator.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt}}},
		{Address: spt.Payer.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "50"}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rpcsim.Start(l, rpcsim.Options{Close: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hc, err := stellarpay.TorHTTPClient(socksAddr, stellarpay.StellarIsolation, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := stellarpay.NewRPCSettler(stellarpay.RPCConfig{URL: s.URL, NetworkPassphrase: spt.Passphrase, HTTPClient: hc,
		Poll: 10 * time.Millisecond, Wait: 30 * time.Second, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Wait until the RPC answers through the proxy (a private Tor network
	// may still lack a consensus with its exit): a look-up of a hash the
	// ledger does not hold answers "not found".
	var reach error
	for range 100 {
		if _, _, reach = st.Find(context.Background(), strings.Repeat("0", 64)); reach == nil {
			break
		}
		time.Sleep(3 * time.Second)
	}
	if reach != nil {
		t.Fatalf("the RPC never answered through the proxy: %v", reach)
	}
	acct, _ := l.Account(spt.Payer.Address())
	env := spt.MustEnvelope(t, spt.Tx{Source: spt.Payer, Sequence: acct.Sequence + 1, Memo: txnbuild.MemoHash([32]byte{7}),
		TimeBounds: spt.Until(time.Now().Add(time.Minute)), Ops: spt.Ops(spt.Pay(spt.Operator.Address(), "TPT", spt.Issuer.Address(), "1"))})
	// The settler needs the envelope and its hash (what Verify checks
	// is not this test's business).
	e, err := txenv.Decode(env, stellarpay.MaxEnvelopeChars)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := e.Hash(txenv.NetworkID(spt.Passphrase))
	p := &stellarpay.Payment{Envelope: env, Hash: h}
	if _, err := st.Settle(context.Background(), p); err != nil {
		t.Fatalf("Settle through SOCKS: %v", err)
	}
	if bal, _ := l.Balance(spt.Operator.Address(), tpt); bal != 10_000_000 {
		t.Fatalf("operator holds %d", bal)
	}
	u, _ := url.Parse(s.URL)
	return u.Host
}

func TestTorHTTPClientRefuses(t *testing.T) {
	tests := []struct{ name, socks string }{{"empty", ""}, {"empty unix path", "unix:"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := stellarpay.TorHTTPClient(tc.socks, stellarpay.StellarIsolation, time.Second); !errors.Is(err, stellarpay.ErrConfig) {
				t.Fatalf("TorHTTPClient(%q): %v, want ErrConfig", tc.socks, err)
			}
		})
	}
}
