package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// loadOrCreateSeed reads the Stellar secret seed in path, or makes a new
// random key and writes its seed there (mode 0600, in a 0700 folder,
// never over an existing file). It reports whether the key is new. The
// seed is never printed; the error of a file readable by others says how
// to fix it.
func loadOrCreateSeed(path string) (*keypair.Full, bool, error) {
	if _, err := os.Stat(path); err == nil {
		kp, err := stellarpay.LoadSeed(path, "")
		return kp, false, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	kp, err := keypair.Random()
	if err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("writing the key: %w", err)
	}
	_, werr := f.WriteString(kp.Seed() + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("writing the key %s: %w", path, err)
	}
	return kp, true, nil
}
