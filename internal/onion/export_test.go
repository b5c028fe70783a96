package onion

import bined25519 "github.com/cretz/bine/torutil/ed25519"

func expandedSign(k *Key, msg []byte) []byte {
	return bined25519.Sign(bined25519.PrivateKey(k.expanded[:]).KeyPair(), msg)
}
