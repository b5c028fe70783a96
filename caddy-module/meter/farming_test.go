package meter

import (
	"testing"

	"github.com/torplus/torplus/caddy-module/identity"
)

// TestTokenFarming: a fresh TorPlus-Session token per request is not a
// fresh free round. Tokens first seen on a circuit share what is left of
// that circuit's free round, sequentially and in parallel; a new circuit
// is a new round (the global free budget bounds those).
func TestTokenFarming(t *testing.T) {
	const free = 200_000
	site := startSite(t, map[string]map[string]any{"farm": {"free_round": free, "grace": "-1ns"}}, "")
	site.file("big.bin", 1<<20)
	site.file("half.bin", free/2)
	u := func(p string) string { return site.url("farm", p) }
	tests := []struct {
		name    string
		circuit uint32
		run     func(t *testing.T, circuit uint32) int64 // content bytes obtained
		want    int64                                    // at most
	}{
		{"a fresh token per request", 8001, func(t *testing.T, c uint32) int64 {
			var got int64
			for range 10 {
				if status, n, _ := newClient(c, "", newToken()).fetch(t, u("/big.bin")); status == 200 {
					got += n
				}
			}
			return got
		}, free},
		{"fresh tokens in parallel", 8002, func(t *testing.T, c uint32) int64 {
			return parallelFetch(t, 8, u("/big.bin"), func(int) *client { return newClient(c, "", newToken()) })
		}, free},
		{"circuit first, then tokens", 8003, func(t *testing.T, c uint32) int64 {
			_, got, _ := newClient(c, "", "").fetch(t, u("/half.bin"))
			for range 5 {
				if status, n, _ := newClient(c, "", newToken()).fetch(t, u("/big.bin")); status == 200 {
					got += n
				}
			}
			return got
		}, free},
		{"a fresh cookie per request", 8005, func(t *testing.T, c uint32) int64 {
			var got int64
			for range 10 {
				if status, n, _ := newClient(c, "", "").fetch(t, u("/big.bin"), "Cookie", identity.CookieName+"="+newToken()); status == 200 {
					got += n
				}
			}
			return got
		}, free},
		{"circuit first, then cookies", 8006, func(t *testing.T, c uint32) int64 {
			_, got, _ := newClient(c, "", "").fetch(t, u("/half.bin"))
			for range 5 {
				if status, n, _ := newClient(c, "", "").fetch(t, u("/big.bin"), "Cookie", identity.CookieName+"="+newToken()); status == 200 {
					got += n
				}
			}
			return got
		}, free},
		{"a token keeps what it inherited on other circuits", 8004, func(t *testing.T, c uint32) int64 {
			tok := newToken()
			_, got, _ := newClient(c, "", tok).fetch(t, u("/half.bin"))
			_, n, _ := newClient(c+100, "", tok).fetch(t, u("/big.bin"))
			return got + n
		}, free},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run(t, tt.circuit); got > tt.want {
				t.Fatalf("obtained %d bytes, at most %d allowed (%d beyond)", got, tt.want, got-tt.want)
			}
		})
	}
	// A token on a circuit whose free round is gone is asked for payment.
	resp, _ := newClient(8001, "", newToken()).get(t, u("/half.bin"))
	if resp.StatusCode != 402 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("new token on a spent circuit: %s, want 402 with a payment request", resp.Status)
	}
}
