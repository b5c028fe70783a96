package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/torplus/torplus/internal/dnstest"
	"github.com/torplus/torplus/internal/enstest"
)

// writeSecret writes a secret file with the given mode.
func writeSecret(t *testing.T, s string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(s+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishDNS(t *testing.T) {
	env := dnstest.Start(t, "example.test.", "")
	k := env.Knot.TSIG
	good := fmt.Sprintf("hmac-sha256:%s:%s", k.Name, k.Secret)
	goodFile := writeSecret(t, good, 0o600)
	dataDir, id := hosterDir(t)
	base := []string{"publish", "dns", "site.example.test", "--server", env.Knot.Addr, "--zone", "example.test", "--data-dir", dataDir}
	verify := []string{"verify", "site.example.test", "--data-dir", dataDir, "--server", env.Knot.Addr, "--anchor", env.Anchor.String()}

	// A dry run shows the record and sends nothing (and needs no key).
	r := runCLI(t, nil, cat(base, []string{"--dry-run"})...)
	if r.code != 0 || !strings.Contains(r.stdout, "+ torplus.site.example.test.\t300\tIN\tTXT\t\"torplus="+string(id)+"\"") ||
		!strings.Contains(r.stdout, "dry run: nothing sent") {
		t.Fatalf("dry run: %+v", r)
	}
	rep := decode(t, runCLI(t, nil, cat(base, []string{"--dry-run", "--json"})...))
	if rep.Exit != 0 || *rep.Applied || !*rep.DryRun || rep.Change == nil {
		t.Fatalf("dry run JSON: %+v", rep)
	}
	check(t, nil, verify, 3, "no-record")

	// Refused: a key with the wrong secret (exit 8); a key file others can
	// read, or no key at all (exit 2). Nothing changes.
	bad := fmt.Sprintf("hmac-sha256:%s:%s", k.Name, "YmFkIGJhZCBiYWQgYmFkIGJhZCBiYWQgYmFkIGJhZCE=")
	check(t, map[string]string{envTSIG: bad}, base, 8, "refused")
	check(t, nil, cat(base, []string{"--tsig-file", writeSecret(t, good, 0o644)}), 2, "chmod 600")
	check(t, nil, base, 2, envTSIG)
	check(t, nil, verify, 3, "no-record")

	// Published with the key from a file, then verified; again is a no-op.
	r = runCLI(t, nil, cat(base, []string{"--tsig-file", goodFile})...)
	if r.code != 0 || !strings.Contains(r.stdout, "done: the server accepted the update") {
		t.Fatalf("publish: %+v", r)
	}
	check(t, nil, verify, 0, "dnssec validated")
	r = runCLI(t, map[string]string{envTSIG: good}, base...)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to change") {
		t.Fatalf("publish again: %+v", r)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, k.Secret) {
			t.Fatal("the TSIG secret was printed")
		}
	}
}

func TestENSCommands(t *testing.T) {
	owner, stranger := enstest.NewKey(t), enstest.NewKey(t)
	c := enstest.Start(t, owner, stranger)
	c.RegisterCases(t, owner)
	c.AutoMine(t)
	chain := []string{"--rpc", c.RPC, "--registry", c.Registry.Hex()}
	ownerHex := hex.EncodeToString(crypto.FromECDSA(owner))
	id, other := newID(t), newID(t)
	publish := cat([]string{"publish", "ens", "video.torplus.eth", "--onion", string(id)}, chain)

	r := runCLI(t, nil, cat(publish, []string{"--dry-run"})...)
	if r.code != 0 || !strings.Contains(r.stdout, "- (none)\n+ "+id.ContentHashHex()) || !strings.Contains(r.stdout, "dry run") {
		t.Fatalf("dry run: %+v", r)
	}
	check(t, nil, cat([]string{"verify", "video.torplus.eth", "--onion", string(id)}, chain), 3, "no contenthash")

	strangerEnv := map[string]string{envETHKey: hex.EncodeToString(crypto.FromECDSA(stranger))}
	check(t, strangerEnv, publish, 8, "does not own")
	check(t, nil, publish, 2, envETHKey)

	r = runCLI(t, nil, cat(publish, []string{"--key-file", writeSecret(t, "0x"+ownerHex, 0o600)})...)
	if r.code != 0 || !strings.Contains(r.stdout, "mined") {
		t.Fatalf("publish: %+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, ownerHex) {
		t.Fatal("the key was printed")
	}
	rep := decode(t, runCLI(t, map[string]string{envETHKey: ownerHex}, cat(publish, []string{"--json"})...))
	if rep.Exit != 0 || *rep.Applied || rep.TX != "" {
		t.Fatalf("publish again should change nothing: %+v", rep)
	}

	tests := []struct {
		name string
		args []string
		code int
		text string
	}{
		{"match", []string{"verify", "video.torplus.eth", "--onion", string(id)}, 0, "ok: video.torplus.eth points at " + id.Hostname()},
		{"lookup", []string{"lookup", "video.torplus.eth"}, 0, id.Hostname()},
		{"mismatch", []string{"verify", "video.torplus.eth", "--onion", string(other)}, 4, "(mismatch, exit 4)"},
		{"unregistered", []string{"verify", "nobody.torplus.eth", "--onion", string(id)}, 3, "not registered"},
		{"no resolver", []string{"verify", "bare.torplus.eth", "--onion", string(id)}, 3, "no resolver"},
		{"empty contenthash", []string{"verify", "empty.torplus.eth", "--onion", string(id)}, 3, "no contenthash"},
		{"ipfs", []string{"verify", "ipfs.torplus.eth", "--onion", string(id)}, 3, "it is ipfs"},
		{"bad onion id", []string{"verify", "badid.torplus.eth", "--onion", string(id)}, 5, "invalid-onion-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := check(t, nil, cat(tt.args, chain), tt.code, tt.text)
			if rep.Source != "ens" && tt.code != 3 {
				t.Fatalf("report: %+v", rep)
			}
		})
	}
	// Without --registry, mainnet's address is used: there is no registry
	// there on this chain, so the lookup fails rather than finding nothing.
	check(t, nil, []string{"verify", "video.torplus.eth", "--onion", string(id), "--rpc", c.RPC}, 1, "lookup-failed")
}
