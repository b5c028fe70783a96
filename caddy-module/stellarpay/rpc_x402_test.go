package stellarpay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/internal/rpcsim"
)

// TestRPCSettlesX402Payment has the @x402/stellar client (from npm,
// unmodified) build, simulate and sign a SAC transfer against the
// simulated RPC, then verifies it offline and settles it through the rpc
// backend with the fee account as source. The same payload settled again
// credits nothing more.
func TestRPCSettlesX402Payment(t *testing.T) {
	l, s := simRPC(t, sacGenesis(network.TestNetworkPassphrase), rpcsim.Options{Close: time.Second, TLS: true}) // the x402 client allows maxTimeoutSeconds / 5 s ledgers: 12 closes
	b64 := rpcsim.X402Payload(t, s, l.ContractID(tptAsset), payer, operator.Address(), 25_000_000)

	exp := expected()
	exp.NetworkPassphrase, exp.ExpiresAt = network.TestNetworkPassphrase, time.Now().Add(10*time.Minute)
	// The x402 client sets the expiration from a 5 s ledger estimate.
	p, err := VerifySAC(b64, exp, LedgerTime{Ledger: l.Number(), Now: time.Now(), Close: 5 * time.Second})
	if err != nil {
		t.Fatalf("VerifySAC: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM)
	st, err := NewRPCSettler(RPCConfig{URL: s.URL, NetworkPassphrase: network.TestNetworkPassphrase, FeeAccount: feeKey,
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		Poll:       20 * time.Millisecond, Backoff: Backoff{Attempts: 3, Initial: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc, err := st.Settle(context.Background(), p)
	if err != nil {
		t.Fatalf("Settle: %v", err)
	}
	if tx, err := l.Transaction(rc.Hash); err != nil || !tx.Successful || tx.Source != feeKey.Address() {
		t.Fatalf("ledger holds %+v, %v", tx, err)
	}
	if got := heldTPT(t, l, operator.Address()); got != 25_000_000 {
		t.Errorf("operator holds %d", got)
	}
	if _, err := st.Settle(context.Background(), p); !errors.Is(err, ErrRejected) {
		t.Errorf("the same payload again: %v, want ErrRejected", err)
	}
	if got := heldTPT(t, l, operator.Address()); got != 25_000_000 {
		t.Errorf("after the second settlement the operator holds %d", got)
	}
}
