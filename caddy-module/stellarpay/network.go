package stellarpay

import (
	"fmt"
	"strings"

	"github.com/stellar/go-stellar-sdk/network"
)

// NetworkPassphrase resolves a network given by name: "testnet" (or
// "test"), "pubnet" (or "public", "mainnet"), or a passphrase itself,
// which is returned as it is. An empty name is an error: the caller picks
// its default.
func NetworkPassphrase(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "":
		return "", fmt.Errorf("%w: empty network", ErrConfig)
	case "testnet", "test":
		return network.TestNetworkPassphrase, nil
	case "pubnet", "public", "mainnet":
		return network.PublicNetworkPassphrase, nil
	}
	return name, nil
}
