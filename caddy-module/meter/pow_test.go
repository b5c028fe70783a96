package meter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
)

func TestPoWStamp(t *testing.T) {
	secret := [32]byte{1, 2, 3}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	k, other := identity.CircuitKey(1, 28), identity.CircuitKey(1, 29)
	c := powChallenge(secret, k, now)
	stamp, err := SolvePoW(c, 12, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	weak := ""
	for i := range 1000 { // a stamp with fewer than 12 zero bits
		if s := c + "." + strings.Repeat("x", i+1); leadingZeroBits(s) < 12 {
			weak = s
			break
		}
	}
	tests := []struct {
		name  string
		key   identity.Key
		at    time.Time
		stamp string
		ok    bool
	}{
		{"good", k, now, stamp, true},
		{"next window still good", k, now.Add(powWindow), stamp, true},
		{"two windows on: expired", k, now.Add(2 * powWindow), stamp, false},
		{"from the future", k, now.Add(-powWindow), stamp, false},
		{"other client", other, now, stamp, false},
		{"too little work", k, now, weak, false},
		{"no nonce", k, now, c + ".", false},
		{"empty", k, now, "", false},
		{"challenge of another secret", k, now, mustSolve(t, powChallenge([32]byte{9}, k, now)), false},
		{"huge", k, now, c + "." + strings.Repeat("1", 200), false},
	}
	for _, tt := range tests {
		err := checkStamp(secret, tt.key, tt.at, 12, tt.stamp)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadStamp)) {
			t.Errorf("%s: checkStamp = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func mustSolve(t *testing.T, c string) string {
	s, err := SolvePoW(c, 12, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzCheckStamp(f *testing.F) {
	secret := [32]byte{1}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	k := identity.CircuitKey(1, 1)
	f.Add(powChallenge(secret, k, now) + ".123")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.1")
	f.Add("..")
	f.Fuzz(func(t *testing.T, stamp string) {
		err := checkStamp(secret, k, now, 8, stamp)
		if err == nil && leadingZeroBits(stamp) < 8 {
			t.Fatalf("accepted %q with too little work", stamp)
		}
		if err == nil && !strings.HasPrefix(stamp, powChallenge(secret, k, now)) &&
			!strings.HasPrefix(stamp, powChallenge(secret, k, now.Add(-powWindow))) {
			t.Fatalf("accepted %q made for no issued challenge", stamp)
		}
	})
}
