package main

import (
	"strings"
	"testing"
)

// FuzzCheckAccount: whatever is pasted into an account flag, the message
// never repeats it (it may be a secret seed), and only account ids pass.
func FuzzCheckAccount(f *testing.F) {
	for _, s := range []string{testDestination, "SBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "GABC", "", "S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		err := checkAccount("pay-to", v)
		if err == nil {
			if len(v) != 56 || v[0] != 'G' {
				t.Fatalf("%q accepted", v)
			}
			return
		}
		if len(v) >= 4 && strings.Contains(err.Error(), v) {
			t.Fatalf("message %q repeats the value", err)
		}
	})
}

// FuzzServeValues: the parsers of size, network and grace values from
// flags or the environment answer a value or an ErrUsage, never panic.
func FuzzServeValues(f *testing.F) {
	for _, s := range []string{"5MB", "0", "off", "50MiB", "-1", "testnet", "x ; y", "1e99", "30s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if n, err := parseSize("round", v, false); err == nil && n <= 0 && v != "" {
			t.Fatalf("round %q = %d accepted", v, n)
		}
		if _, err := networkPassphrase(v); err != nil && !strings.Contains(err.Error(), "want testnet") {
			t.Fatalf("network %q: %v", v, err)
		}
	})
}
