package main

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/torplus/torplus/resolver"
)

// Environment variables that may hold the secrets instead of a file. A
// secret is never taken from a flag value, which `ps` would show.
const (
	envTSIG   = "TORPLUS_TSIG"    // "[algorithm:]name:secret"
	envETHKey = "TORPLUS_ETH_KEY" // hex secp256k1 private key
)

// readSecret returns the contents of file (which must not be readable by
// group or others) or else the value of the environment variable env.
// Errors name the file or variable, never the secret.
func (c *cli) readSecret(file, env, what string) (string, error) {
	if file != "" {
		st, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", resolver.ErrUsage, what, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%w: %s file %s has mode %04o; make it private with chmod 600", resolver.ErrUsage, what, file, st.Mode().Perm())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", resolver.ErrUsage, what, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if v := strings.TrimSpace(c.getenv(env)); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w: no %s: give a file with -%s-file or set %s", resolver.ErrUsage, what, map[string]string{envTSIG: "tsig", envETHKey: "key"}[env], env)
}

// tsigKey loads the TSIG key for publish dns.
func (c *cli) tsigKey(file string) (*resolver.TSIGKey, error) {
	s, err := c.readSecret(file, envTSIG, "TSIG key")
	if err != nil {
		return nil, err
	}
	return resolver.ParseTSIG(s)
}

// ethKey loads the owner's Ethereum key for publish ens.
func (c *cli) ethKey(file string) (*ecdsa.PrivateKey, error) {
	s, err := c.readSecret(file, envETHKey, "Ethereum key")
	if err != nil {
		return nil, err
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(s, "0x"))
	if err != nil { // the underlying error may quote part of the key
		return nil, fmt.Errorf("%w: the Ethereum key is not a hex secp256k1 private key", resolver.ErrUsage)
	}
	return k, nil
}
