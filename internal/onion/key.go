package onion

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bined25519 "github.com/cretz/bine/torutil/ed25519"
)

// File names inside a hidden-service directory, as tor itself writes them.
const (
	SecretKeyFile = "hs_ed25519_secret_key"
	PublicKeyFile = "hs_ed25519_public_key"
	HostnameFile  = "hostname"
)

// Tor's key files start with a 32-byte header: a tag padded with NUL bytes.
var (
	secretHeader = header("== ed25519v1-secret: type0 ==")
	publicHeader = header("== ed25519v1-public: type0 ==")
)

func header(tag string) []byte { return append([]byte(tag), make([]byte, 32-len(tag))...) }

// ErrKeyFile is wrapped by every error about a malformed or unsafe key file.
var ErrKeyFile = errors.New("onion key file")

// Key is an onion service's ed25519 identity key in tor's expanded form (the
// clamped scalar followed by the hash prefix). Its String and Format methods
// print only the id, so a Key cannot leak into a log by accident.
type Key struct {
	expanded [64]byte
	id       ID
}

// GenerateKey makes a new key from rnd (crypto/rand.Reader when nil).
func GenerateKey(rnd io.Reader) (*Key, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rnd, seed); err != nil {
		return nil, fmt.Errorf("onion: generate key: %w", err)
	}
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	return keyFromExpanded(h[:]), nil
}

func keyFromExpanded(expanded []byte) *Key {
	k := &Key{}
	copy(k.expanded[:], expanded)
	pub := bined25519.PrivateKey(k.expanded[:]).PublicKey()
	k.id = IDFromPublicKey(ed25519.PublicKey(pub))
	return k
}

// ID returns the onion id the key publishes.
func (k *Key) ID() ID { return k.id }

// String prints the id only, never key material.
func (k *Key) String() string { return "onion.Key(" + string(k.id) + ")" }

// Format makes every fmt verb (%v, %+v, %#v, %x …) print what String prints.
func (k *Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// MarshalSecret returns the key in tor's hs_ed25519_secret_key format.
func (k *Key) MarshalSecret() []byte { return append(bytes.Clone(secretHeader), k.expanded[:]...) }

// ParseSecret reads a key in tor's hs_ed25519_secret_key format.
func ParseSecret(b []byte) (*Key, error) {
	if len(b) != 96 || !bytes.Equal(b[:32], secretHeader) {
		return nil, fmt.Errorf("%w: not a tor ed25519v1 secret key", ErrKeyFile)
	}
	return keyFromExpanded(b[32:]), nil
}

// LoadOrCreateKey returns the key kept in the hidden-service directory dir,
// creating dir (0700) and a new key (0600) when there is none yet. created
// tells which happened. A key file readable by others is refused rather than
// used, since its secrecy can no longer be assumed.
func LoadOrCreateKey(dir string) (k *Key, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("onion: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // tor refuses a looser HiddenServiceDir
		return nil, false, fmt.Errorf("onion: %w", err)
	}
	k, err = LoadKey(dir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if k, err = GenerateKey(nil); err != nil {
		return nil, false, err
	}
	if err := k.save(dir); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// LoadKey reads the key in dir; the error wraps fs.ErrNotExist when there is none.
func LoadKey(dir string) (*Key, error) {
	path := filepath.Join(dir, SecretKeyFile)
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("onion: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (fix with chmod 600)", ErrKeyFile, path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onion: %w", err)
	}
	k, err := ParseSecret(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return k, nil
}

// save writes the secret key (0600), the public key and the hostname the way
// tor lays out a HiddenServiceDir. The secret is written to a temporary file
// and renamed, so a crash never leaves a half-written key behind.
func (k *Key) save(dir string) error {
	pub := append(bytes.Clone(publicHeader), k.id.PublicKey()...)
	files := []struct {
		name string
		data []byte
	}{
		{SecretKeyFile, k.MarshalSecret()},
		{PublicKeyFile, pub},
		{HostnameFile, []byte(k.id.Hostname() + "\n")},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("onion: save key: %w", err)
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
