package paymentauth

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/x402"
)

// A charge request names its network by CAIP-2 id. Stellar's namespace
// has ids for the public and the test network only; a private network (a
// test or demo ledger of our own) has none, and no payer but ours can pay
// on it anyway. We name it "stellar:" and the first 32 hex digits of its
// network id (the SHA-256 of its passphrase), which CAIP-2's reference
// syntax allows and no public id can collide with.

var privateNetworkRE = regexp.MustCompile(`^stellar:[0-9a-f]{32}$`)

// NetworkID returns the CAIP-2 id of the Stellar network with passphrase.
func NetworkID(passphrase string) string {
	switch passphrase {
	case network.TestNetworkPassphrase:
		return x402.NetworkTestnet
	case network.PublicNetworkPassphrase:
		return x402.NetworkPubnet
	}
	sum := sha256.Sum256([]byte(passphrase))
	return "stellar:" + hex.EncodeToString(sum[:16])
}

// knownNetwork reports whether id names a Stellar network: the public or
// test network, or a private one as NetworkID names it.
func knownNetwork(id string) bool {
	return id == x402.NetworkTestnet || id == x402.NetworkPubnet || privateNetworkRE.MatchString(id)
}
