package stellarpay_test

import (
	"context"
	"testing"
	"time"

	"github.com/torplus/torplus/internal/tornet"
)

// TestRPCSettlesThroughTor settles a payment with the RPC reached through
// the private Tor network (three authorities, three relays, the exit
// limited to loopback, a client): the hoster's Stellar client in its
// TorHTTPClient form, the simulated RPC on 127.0.0.1 behind the exit.
// It takes minutes (bootstrap); it fails when tor is not installed.
func TestRPCSettlesThroughTor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	n, err := tornet.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("private Tor network: %v", err)
	}
	defer n.Stop()
	if err := n.WaitBootstrapped(ctx); err != nil {
		t.Fatalf("private Tor network: %v", err)
	}
	settleThrough(t, n.SocksAddr)
}
