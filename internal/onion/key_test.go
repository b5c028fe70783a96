package onion

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateKeyPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "onion")
	k1, created, err := LoadOrCreateKey(dir)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	k2, created, err := LoadOrCreateKey(dir)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if k1.ID() != k2.ID() {
		t.Fatalf("address changed: %s then %s", k1.ID(), k2.ID())
	}
	if _, err := ParseID(string(k1.ID())); err != nil {
		t.Fatalf("generated id does not validate: %v", err)
	}
	for name, want := range map[string]os.FileMode{".": 0o700, SecretKeyFile: 0o600} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", name, st.Mode().Perm(), want)
		}
	}
	host, _ := os.ReadFile(filepath.Join(dir, HostnameFile))
	if strings.TrimSpace(string(host)) != k1.ID().Hostname() {
		t.Errorf("hostname file = %q", host)
	}
	pub, _ := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if !bytes.Equal(pub[32:], k1.ID().PublicKey()) {
		t.Errorf("public key file does not hold the id's key")
	}
}

func TestKeySignsForItsID(t *testing.T) {
	// The expanded key must really be the secret of the id's public key:
	// sign with it (through tor's expanded-key signer) and verify with the id.
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := expandedSign(k, []byte("hello"))
	if !ed25519.Verify(k.ID().PublicKey(), []byte("hello"), sig) {
		t.Fatal("signature by the key does not verify under the id's public key")
	}
}

func TestLoadKeyRefusesLooseMode(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreateKey(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, SecretKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(dir); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("loose key file: err = %v, want ErrKeyFile", err)
	}
}

func TestParseSecretRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 96), bytes.Repeat([]byte{1}, 95)} {
		if _, err := ParseSecret(b); !errors.Is(err, ErrKeyFile) {
			t.Errorf("ParseSecret(%d bytes) err = %v", len(b), err)
		}
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := fmt.Sprintf("%x", k.expanded[:])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(out, secret[:16]) || !strings.Contains(out, string(k.ID())) {
			t.Errorf("%s printed %q", verb, out)
		}
	}
}

func FuzzParseSecret(f *testing.F) {
	k, err := GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.MarshalSecret())
	f.Add(make([]byte, 96))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseSecret(b)
		if err != nil {
			return
		}
		if !bytes.Equal(k.MarshalSecret(), b) {
			t.Fatalf("accepted key file does not round-trip")
		}
		if _, err := ParseID(string(k.ID())); err != nil {
			t.Fatalf("key gives an invalid id: %v", err)
		}
	})
}
