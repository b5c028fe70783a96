package meter

import (
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/client/clienttest"
)

// TestZonesPayOnlyTheirOwn runs two zones in one Caddy on one store: a
// real one settled on Horizon and a demo one on its offline ledger, where
// the payer has funds too. A request of one zone posted to the other (by
// callback or credential, many at once) is refused as unknown and moves no
// money on either ledger; a payment in the real zone buys nothing in the
// demo zone for the same client.
func TestZonesPayOnlyTheirOwn(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	shared := map[string]any{"driver": "sqlite", "dsn": filepath.Join(t.TempDir(), "shared.db"), "flush_interval": "50ms"}
	real := paidZone(hz.URL)
	real["free_round"], real["grace"], real["store"] = -1, -1, shared
	demo := map[string]any{"free_round": -1, "grace": -1, "backend": "offline", "offline_ledger": clienttest.Genesis(),
		"round_bytes": 200_000, "store": shared}
	s := startPaySites(t, map[string]map[string]any{"real": real, "demo": demo})
	s.file("f.bin", 1000)
	offline := offlineLedger(t)
	hzBefore, offBefore := tptOf(t, hz.Ledger, payOperator.Address()), tptOf(t, offline, payOperator.Address())

	tok := newToken()
	c := &client{Client: http.DefaultClient, token: tok}
	_, realPR := challenge(t, s, "real", "/f.bin", tok)
	_, demoPR := challenge(t, s, "demo", "/f.bin", tok)
	realEnv := envelope(t, realPR, payPayer, seqOf(t, hz.Ledger, payPayer.Address())+1, payPrice)
	demoEnv := envelope(t, demoPR, payPayer, seqOf(t, offline, payPayer.Address())+1, payPrice)

	attacks := []struct {
		name, zone, env string
		credential      bool   // answer the real zone's challenge at zone; false posts to the callback
		want            string // status and code of every answer
	}{
		{name: "real request to the demo callback", zone: "demo", env: realEnv, want: "404 " + settlement.ErrUnknownRequest.Code},
		// Another zone's challenge: another realm (and secret).
		{name: "real request as a demo credential", zone: "demo", env: realEnv, credential: true, want: "402 " + paymentauth.ErrRealm.Code},
		{name: "demo request to the real callback", zone: "real", env: demoEnv, want: "404 " + settlement.ErrUnknownRequest.Code},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			answers := map[string]int{}
			for range 8 {
				wg.Go(func() {
					var status int
					var code string
					if !a.credential {
						st, r, _ := post(t, s.url(a.zone, DefaultPaymentEndpoint), a.env)
						status, code = st, r.Error
					} else {
						resp, body := c.get(t, s.url(a.zone, "/f.bin"), "Authorization", credentialFor(t, realPR.ID, a.env))
						status, code = resp.StatusCode, problemCode(body)
					}
					mu.Lock()
					answers[strconv.Itoa(status)+" "+code]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if answers[a.want] != 8 {
				t.Fatalf("8 attempts answered %v, want all %q", answers, a.want)
			}
		})
	}
	if hz, off := tptOf(t, hz.Ledger, payOperator.Address())-hzBefore, tptOf(t, offline, payOperator.Address())-offBefore; hz != 0 || off != 0 {
		t.Fatalf("cross-zone payments moved money: %d stroops on Horizon, %d offline", hz, off)
	}

	// Paid in the real zone: served there, and nothing more in the demo zone.
	if st, r, _ := post(t, s.url("real", DefaultPaymentEndpoint), realEnv); st != http.StatusOK {
		t.Fatalf("paying the real zone: %d %+v", st, r)
	}
	if resp, _ := c.get(t, s.url("real", "/f.bin")); resp.StatusCode != http.StatusOK {
		t.Fatalf("real zone after paying: %s", resp.Status)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	demoAnswers := map[int]int{}
	for range 8 {
		wg.Go(func() {
			resp, _ := c.get(t, s.url("demo", "/f.bin"))
			mu.Lock()
			demoAnswers[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if demoAnswers[http.StatusPaymentRequired] != 8 {
		t.Fatalf("demo zone after a real-zone payment answered %v, want 8 × 402", demoAnswers)
	}
	for client, info := range s.sessions("demo") {
		if info.BytesAllowed != 0 || info.BytesServed != 0 {
			t.Fatalf("demo session %s: %d allowed, %d served, want 0 and 0", client, info.BytesAllowed, info.BytesServed)
		}
	}
	if paidSessions(s.sessions("real")) != 1 {
		t.Fatalf("real zone: %+v", s.sessions("real"))
	}
}
