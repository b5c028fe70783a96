package meter

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client/clienttest"
)

// postAs sends env to the payment endpoint as the client with token.
func postAs(t *testing.T, endpoint, env, token string) (int, refusal, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(url.Values{"xdr": {env}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("TorPlus-Session", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeRefusal(t, resp.Body), resp.Header
}

// TestSignatureFloodIsBounded posts envelopes carrying 20 signatures, none
// valid, to a real server: each costs at most the one ed25519 check its
// one signer requires; and past the limit of failures per payment request
// (from fresh clients) or per client (for fresh requests) within the
// window, the next POSTs — sent in parallel — are refused with 429 and
// Retry-After without any check at all.
func TestSignatureFloodIsBounded(t *testing.T) {
	const perRequest, perClient = 3, 5
	s := startPaySite(t, "flood", map[string]any{"free_round": -1, "grace": -1, "backend": "offline",
		"offline_ledger": clienttest.Genesis(), "failed_payments": map[string]any{"per_request": perRequest, "per_client": perClient, "window": "10m"}})
	s.file("f.bin", 1000)
	endpoint := s.url("flood", DefaultPaymentEndpoint)
	l := offlineLedger(t)
	forged := func(pr payreq.Request) string { // 20 signatures with the payer's hint: 19 forged, 1 by a stranger
		return spt.WithForgedSignatures(t, signedBy(t, pr, payPayer, payBroke, seqOf(t, l, payPayer.Address())+1), payPayer, 19)
	}
	// attempt posts env as token and returns the answer and the ed25519
	// checks it cost.
	attempt := func(env, token string) (int, string, http.Header, uint64) {
		before := stellarpay.SignatureChecks()
		st, r, hdr := postAs(t, endpoint, env, token)
		return st, r.Error, hdr, stellarpay.SignatureChecks() - before
	}
	parallelRefused := func(t *testing.T, env string, token func() string) {
		before := stellarpay.SignatureChecks()
		var wg sync.WaitGroup
		var mu sync.Mutex
		answers := map[string]int{}
		for range 16 {
			wg.Go(func() {
				st, r, hdr := postAs(t, endpoint, env, token())
				mu.Lock()
				answers[r.Error+" retry-after:"+hdr.Get("Retry-After")]++
				_ = st
				mu.Unlock()
			})
		}
		wg.Wait()
		if n := stellarpay.SignatureChecks() - before; n != 0 {
			t.Fatalf("%d ed25519 checks past the limit, want 0", n)
		}
		for a, n := range answers {
			if !strings.HasPrefix(a, stellarpay.ErrTooManyFailures.Code+" retry-after:") || strings.HasSuffix(a, ":") {
				t.Fatalf("past the limit: %d answered %q, want %s with Retry-After", n, a, stellarpay.ErrTooManyFailures.Code)
			}
		}
	}

	t.Run("per payment request, fresh clients", func(t *testing.T) {
		_, pr := challenge(t, s, "flood", "/f.bin", newToken())
		env := forged(pr)
		for i := range perRequest {
			st, code, _, checks := attempt(env, newToken())
			if st != http.StatusBadRequest || code != stellarpay.ErrBadSignature.Code || checks > 1 {
				t.Fatalf("failure %d: %d %s after %d ed25519 checks, want 400 %s after at most 1", i+1, st, code, checks, stellarpay.ErrBadSignature.Code)
			}
		}
		st, code, hdr, checks := attempt(env, newToken())
		if st != http.StatusTooManyRequests || code != stellarpay.ErrTooManyFailures.Code || hdr.Get("Retry-After") == "" || checks != 0 {
			t.Fatalf("failure %d: %d %s, Retry-After %q, %d checks; want 429 unverified", perRequest+1, st, code, hdr.Get("Retry-After"), checks)
		}
		parallelRefused(t, env, newToken)
	})
	t.Run("per client, fresh requests", func(t *testing.T) {
		who := newToken()
		for i := range perClient {
			_, pr := challenge(t, s, "flood", "/f.bin", newToken())
			st, code, _, checks := attempt(forged(pr), who)
			if st != http.StatusBadRequest || code != stellarpay.ErrBadSignature.Code || checks > 1 {
				t.Fatalf("failure %d: %d %s after %d ed25519 checks", i+1, st, code, checks)
			}
		}
		_, pr := challenge(t, s, "flood", "/f.bin", newToken())
		parallelRefused(t, forged(pr), func() string { return who })
		// The limit is the client's, not the request's: another client pays it.
		good := envelope(t, pr, payPayer, seqOf(t, l, payPayer.Address())+1, payPrice)
		if st, r, _ := postAs(t, endpoint, good, newToken()); st != http.StatusOK {
			t.Fatalf("an honest payment of the same request from another client: %d %+v", st, r)
		}
	})
}
