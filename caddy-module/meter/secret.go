package meter

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/paymentauth"
)

// ErrSecretFile: the zone's challenge secret file is unusable (readable by
// others, or not 64 hex digits).
var ErrSecretFile = errors.New("torplus: unusable payment secret file")

// secretPath is where the zone's challenge secret lives by default: next
// to the SQLite store, or in Caddy's data dir when the store is
// PostgreSQL. Replicas that share a zone must share the file (set
// payment_secret_file): a challenge one issues is checked by another.
func (h *Handler) secretPath() string {
	if h.PaymentSecretFile != "" {
		return h.PaymentSecretFile
	}
	dir := filepath.Join(caddy.AppDataDir(), "torplus")
	if h.Store.Driver == "" || h.Store.Driver == "sqlite" {
		if h.Store.DSN != "" {
			dir = filepath.Dir(h.Store.DSN)
		}
	}
	return filepath.Join(dir, "payment-secret-"+url.PathEscape(h.Zone))
}

// loadSecret reads the zone's challenge secret (64 hex digits, mode 0600),
// making it on first use. The secret binds every Payment challenge id of
// the zone; it is never logged.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return makeSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecretFile, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s must be readable by its owner only (chmod 600)", ErrSecretFile, path)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(secret) < paymentauth.MinSecretBytes {
		return nil, fmt.Errorf("%w: %s must hold %d or more bytes as hex", ErrSecretFile, path, paymentauth.MinSecretBytes)
	}
	return secret, nil
}

// makeSecret writes a new random secret to path. It is written whole to a
// temporary file and linked into place, so a process starting at the same
// time reads either no file or the whole of one, and one secret wins.
func makeSecret(path string) ([]byte, error) {
	secret := make([]byte, paymentauth.MinSecretBytes)
	rand.Read(secret) // never fails
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecretFile, err)
	}
	f, err := os.CreateTemp(dir, ".payment-secret-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecretFile, err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return loadSecret(path) // another process made it first
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrSecretFile, err)
	}
	return secret, nil
}
