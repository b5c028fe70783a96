package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/meter"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestDoctorChecksFacilitator: doctor asks the x402 Foundation's
// facilitator (the reference implementation, from npm) what it settles:
// testnet's exact payments pass; a hoster on pubnet, or one whose
// facilitator does not answer, is told what to fix; no facilitator, no
// finding.
func TestDoctorChecksFacilitator(t *testing.T) {
	// Its RPC is a closed port: /supported never reaches it.
	ref := rpcsim.X402Facilitator(t, "http://127.0.0.1:9", spt.Key("doctor's facilitator"))
	tests := []struct {
		name        string
		facilitator string
		network     string
		ok, found   bool
		says        string
	}{
		{"testnet, taken", ref, network.TestNetworkPassphrase, true, true, "settles x402 exact payments on stellar:testnet"},
		{"pubnet, not taken", ref, network.PublicNetworkPassphrase, false, true, "does not settle x402 exact payments on stellar:pubnet"},
		{"no answer", "http://127.0.0.1:9", network.TestNetworkPassphrase, false, true, "does not answer GET /supported"},
		{"no facilitator", "", network.TestNetworkPassphrase, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &meter.Handler{Facilitator: tt.facilitator, Network: tt.network}
			f, found := facilitatorFinding(context.Background(), &http.Client{Timeout: 10 * time.Second}, h)
			if found != tt.found || f.ok != tt.ok || !strings.Contains(f.what, tt.says) || (found && !f.ok && f.fix == "") {
				t.Fatalf("finding %+v (found %v), want ok %v found %v saying %q with a fix", f, found, tt.ok, tt.found, tt.says)
			}
		})
	}
}
