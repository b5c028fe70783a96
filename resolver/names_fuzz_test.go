package resolver

import (
	"errors"
	"testing"
)

// FuzzHostName feeds arbitrary host parameters of the resolver's HTTP API
// (what a browser extension sends) to HostName: a refusal is ErrUsage, and
// an accepted name is stable (normalising it again gives itself) and
// becomes a valid query name (TXTName or ENSName accepts it).
func FuzzHostName(f *testing.F) {
	for _, s := range []string{
		"example.com", "torplus.example.com", "Example.COM.", "example.com:443", "vitalik.eth",
		"", ".", "torplus.", "a..b.com", "xn--bcher-kva.example", "ünïcode.eth", "[::1]:80", "a b.com", "@.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, err := HostName(host)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("HostName(%q): %v, not ErrUsage", host, err)
			}
			return
		}
		again, err := HostName(name)
		if err != nil || again != name {
			t.Fatalf("HostName(%q) = %q, but HostName(%q) = %q, %v", host, name, name, again, err)
		}
		if IsENSName(name) {
			if n, err := ENSName(name); err != nil || n != name {
				t.Fatalf("ENS name %q from %q: ENSName gives %q, %v", name, host, n, err)
			}
			return
		}
		if _, err := TXTName(name); err != nil {
			t.Fatalf("domain %q from %q has no TXT name: %v", name, host, err)
		}
	})
}
