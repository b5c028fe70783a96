package meter

import (
	"testing"

	"github.com/stellar/go-stellar-sdk/network"
)

// TestNetworkByName: network takes a name or a passphrase.
func TestNetworkByName(t *testing.T) {
	for name, want := range map[string]string{"pubnet": network.PublicNetworkPassphrase, "testnet": network.TestNetworkPassphrase,
		"": network.TestNetworkPassphrase, "Private ; 1": "Private ; 1"} {
		h := Handler{Network: name}
		h.setDefaults()
		if h.Network != want {
			t.Errorf("network %q is %q, want %q", name, h.Network, want)
		}
	}
}
