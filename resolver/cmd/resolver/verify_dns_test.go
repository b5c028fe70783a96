package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/dnstest"
	"github.com/torplus/torplus/internal/onion"
)

func TestVerifyDNS(t *testing.T) {
	idA, idB := newID(t), newID(t)
	dataDir, idK := hosterDir(t)
	env := dnstest.Start(t, "example.test.", fmt.Sprintf(`torplus.match IN TXT "torplus=%[1]s"
torplus.split IN TXT "torplus=%[4]s" "%[5]s"
torplus.multi IN TXT "torplus=%[1]s"
torplus.multi IN TXT "torplus=%[2]s"
torplus.bad   IN TXT "torplus=%[3]s"
torplus.hoster IN TXT "torplus=%[6]s"
`, idA, idB, idA[:55]+"q", idA[:30], idA[30:], idK))
	tampered := env.Tampered(t, func(rr dns.RR) dns.RR {
		if txt, ok := rr.(*dns.TXT); ok && txt.Hdr.Name == "torplus.match.example.test." {
			txt.Txt = []string{"torplus=" + string(idB)}
		}
		return rr
	})
	bogusResolver := dnstest.StartUnbound(t, "example.test.", tampered.Addr, env.Anchor)
	wrong := dns.Copy(env.Anchor).(*dns.DS)
	wrong.Digest = strings.Repeat("0", 64)
	val := []string{"--server", env.Resolver, "--require-ad"}
	anchored := []string{"--server", env.Knot.Addr, "--anchor", env.Anchor.String()}
	emptyDir := t.TempDir()

	tests := []struct {
		name string
		args []string
		code int
		text string
	}{
		{"match", cat([]string{"verify", "match.example.test", "--onion", string(idA)}, val), 0, "ok: torplus.match.example.test. points at " + idA.Hostname()},
		{"match, anchor", cat([]string{"verify", "match.example.test", "--onion", idA.Hostname()}, anchored), 0, "dnssec validated"},
		{"multi-string", cat([]string{"verify", "split.example.test", "--onion", string(idA)}, val), 0, "ok:"},
		{"data dir", cat([]string{"verify", "hoster.example.test", "--data-dir", dataDir}, val), 0, idK.Hostname()},
		{"lookup", cat([]string{"lookup", "match.example.test"}, val), 0, idA.Hostname() + "\n"},
		{"mismatch", cat([]string{"verify", "match.example.test", "--onion", string(idB)}, val), 4, "(mismatch, exit 4)"},
		{"data dir mismatch", cat([]string{"verify", "match.example.test", "--data-dir", dataDir}, val), 4, "(mismatch, exit 4)"},
		{"missing", cat([]string{"verify", "nothing.example.test", "--onion", string(idA)}, val), 3, "(no-record, exit 3)"},
		{"missing, anchor", cat([]string{"verify", "nothing.example.test", "--onion", string(idA)}, anchored), 3, "(no-record, exit 3)"},
		{"multiple", cat([]string{"verify", "multi.example.test", "--onion", string(idA)}, val), 7, "several torplus"},
		{"invalid id in record", cat([]string{"verify", "bad.example.test", "--onion", string(idA)}, val), 5, "invalid onion id"},
		{"invalid --onion", cat([]string{"verify", "match.example.test", "--onion", string(idA[:55]) + "q"}, val), 5, "--onion: invalid onion id"},
		{"require-ad at authoritative", []string{"verify", "match.example.test", "--onion", string(idA), "--server", env.Knot.Addr, "--require-ad"}, 6, "AD bit"},
		{"tampered, resolver", []string{"verify", "match.example.test", "--onion", string(idA), "--server", bogusResolver}, 6, "bogus"},
		{"tampered, anchor", []string{"verify", "match.example.test", "--onion", string(idA), "--server", tampered.Addr, "--anchor", env.Anchor.String()}, 6, "bogus"},
		{"wrong anchor", []string{"verify", "match.example.test", "--onion", string(idA), "--server", env.Knot.Addr, "--anchor", wrong.String()}, 6, "anchor"},
		{"server down", []string{"verify", "match.example.test", "--onion", string(idA), "--server", "127.0.0.1:1", "--timeout", "2s"}, 1, "(lookup-failed, exit 1)"},
		{"data dir without key", cat([]string{"verify", "match.example.test", "--data-dir", emptyDir}, val), 2, "no hoster key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := check(t, nil, tt.args, tt.code, tt.text)
			if tt.code == 0 && rep.Source != "dns" {
				t.Fatalf("report: %+v", rep)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(emptyDir, "onion", onion.SecretKeyFile)); err == nil {
		t.Fatal("verify created a key in the data dir")
	}

	// The exit codes reach the shell as such.
	for _, tc := range []struct {
		id   onion.ID
		code int
	}{{idA, 0}, {idB, 4}} {
		r := runProcess(t, cat([]string{"verify", "match.example.test", "--onion", string(tc.id)}, val)...)
		if r.code != tc.code {
			t.Fatalf("process exit %d, want %d: %s%s", r.code, tc.code, r.stdout, r.stderr)
		}
	}
}

func cat(a, b []string) []string { return append(append([]string{}, a...), b...) }
