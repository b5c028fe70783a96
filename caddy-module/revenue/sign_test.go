package revenue

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
)

func signedFixture(t testing.TB) ([]byte, *keypair.Full, Report) {
	b := newBooks(t, "sqlite")
	b.pay("t:one", 2, siteAccount, "TPT", "10", t0)
	b.read("t:one", 2, attention.PageRound{Path: "/a.html", VisibleMS: 3000}, attention.PageRound{Path: "/b.html", VisibleMS: 1000})
	r := b.build(attention.RevenueTerms{}, 3)
	kp := keypair.MustRandom()
	file, err := Sign(r, kp)
	if err != nil {
		t.Fatal(err)
	}
	return file, kp, r
}

func TestSignVerify(t *testing.T) {
	file, kp, r := signedFixture(t)
	got, signer, err := Verify(file, kp.Address())
	if err != nil {
		t.Fatalf("Verify of the original: %v", err)
	}
	if signer != kp.Address() || got.Income != r.Income || len(got.Pages) != 2 || !got.GeneratedAt.Equal(r.GeneratedAt) {
		t.Errorf("verified report differs: %+v", got)
	}
	if bytes.Contains(file, []byte(kp.Seed())) {
		t.Fatal("the signed file contains the seed")
	}
	if _, _, err := Verify(file, keypair.MustRandom().Address()); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("wrong expected signer: %v", err)
	}
	// Any altered byte fails: every position, a few different changes.
	for i := range file {
		for _, x := range []byte{0x01, 0x20, 0x80} {
			bad := bytes.Clone(file)
			bad[i] ^= x
			if _, _, err := Verify(bad, ""); err == nil {
				t.Fatalf("byte %d xor %#x (%q → %q) still verifies", i, x, file[i], bad[i])
			}
		}
	}
	for _, bad := range [][]byte{file[:len(file)-1], append(bytes.Clone(file), '\n'), append([]byte(" "), file...)} {
		if _, _, err := Verify(bad, ""); err == nil {
			t.Errorf("truncated or padded file verifies")
		}
	}
	// Re-signing an altered report with another key verifies, but names that key.
	r.Pages[0].Amount++
	other := keypair.MustRandom()
	forged, _ := Sign(r, other)
	if _, signer, err := Verify(forged, ""); err != nil || signer != other.Address() {
		t.Errorf("forged report: %v, signer %s", err, signer)
	}
	if _, _, err := Verify(forged, kp.Address()); !errors.Is(err, ErrWrongSigner) {
		t.Errorf("forged report claimed as the site's: %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	kp := keypair.MustRandom()
	dir := t.TempDir()
	good := filepath.Join(dir, "seed")
	os.WriteFile(good, []byte(kp.Seed()+"\n"), 0o600)
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte(kp.Seed()), 0o644)
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("SNOTASEED"), 0o600)

	got, err := LoadKey(good)
	if err != nil || got.Address() != kp.Address() {
		t.Fatalf("LoadKey(0600 file) = %v, %v", got, err)
	}
	if _, err := LoadKey(open); !errors.Is(err, ErrSeedFile) {
		t.Errorf("a world-readable seed file: %v", err)
	}
	if _, err := LoadKey(junk); err == nil || strings.Contains(err.Error(), "SNOTASEED") {
		t.Errorf("junk seed: %v", err)
	}
	t.Setenv(SeedEnv, kp.Seed())
	if got, err := LoadKey(""); err != nil || got.Address() != kp.Address() {
		t.Errorf("seed from %s: %v", SeedEnv, err)
	}
	t.Setenv(SeedEnv, "")
	if _, err := LoadKey(""); err == nil {
		t.Error("no key at all loaded")
	}
}

func FuzzVerify(f *testing.F) {
	file, _, _ := signedFixture(f)
	f.Add(file)
	f.Add([]byte(`{"format":"torplus-signed-revenue-report/1","signer":"","signature":"","report":{}}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, signer, err := Verify(b, "")
		if err == nil && (signer == "" || r.Format != Format) {
			t.Fatalf("verified without a signer or format: %q %+v", signer, r)
		}
	})
}
