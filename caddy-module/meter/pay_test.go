package meter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	payclient "github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// paidZone is a zone with small rounds settled on hz's Horizon.
func paidZone(hzURL string) map[string]any {
	return map[string]any{"free_round": 100_000, "round_bytes": 200_000, "ask_at": 0.5, "grace": "2s",
		"throttle_rate": 50_000, "backend": "horizon", "horizon_url": hzURL, "settle_timeout": "2s"}
}

func TestPayingClientNeverThrottled(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	s := startPaySite(t, "paying", paidZone(hz.URL))
	want := s.file("f.bin", 50_000)
	c := payingClient(t, hz, payPayer, 100*payStroops)
	before := tptOf(t, hz.Ledger, payOperator.Address())
	const fetches = 30 // 1.5 MB: the free round and 7 paid rounds
	for i := range fetches {
		fetchOK(t, c, s.url("paying", "/f.bin"), want, i)
	}
	count, stroops := c.Paid()
	got := tptOf(t, hz.Ledger, payOperator.Address()) - before
	if count < 7 || count > 8 || got != int64(count)*payStroops || stroops != got {
		t.Fatalf("%d payments of %d stroops in all; operator received %d", count, stroops, got)
	}
	if v := s.metric(`torplus_payment_requests_issued_total{zone="paying"}`); v != strconv.Itoa(count) {
		t.Fatalf("%s payment requests issued, %d paid", v, count)
	}
	if v := s.metric(`torplus_throttled_responses_total{zone="paying"}`); v != "0" {
		t.Fatalf("paying client throttled %s times", v)
	}
	if v := s.metric(`torplus_payment_required_total{zone="paying"}`); v != "0" {
		t.Fatalf("paying client got %s 402s", v)
	}
}

func TestClientWithoutFundsThrottledThen402(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	s := startPaySite(t, "broke", paidZone(hz.URL))
	s.file("f.bin", 50_000)
	c := payingClient(t, hz, payBroke, 100*payStroops)
	before := tptOf(t, hz.Ledger, payOperator.Address())
	var err error
	for i := 0; i < 40 && err == nil; i++ {
		var resp *http.Response
		if resp, err = c.Get(context.Background(), s.url("broke", "/f.bin")); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	var r *payclient.RefusedError
	if !errors.As(err, &r) || r.Status != http.StatusPaymentRequired || r.Code != stellarpay.ErrRejected.Code {
		t.Fatalf("client without funds ended with %v, want a 402 %s", err, stellarpay.ErrRejected.Code)
	}
	if n, _ := strconv.Atoi(s.metric(`torplus_throttled_responses_total{zone="broke"}`)); n == 0 {
		t.Fatal("client without funds was never throttled before its 402")
	}
	if got := tptOf(t, hz.Ledger, payOperator.Address()); got != before {
		t.Fatalf("operator balance moved from %d to %d", before, got)
	}
}

func TestPaymentReplayAndRefusals(t *testing.T) {
	g := clienttest.Genesis()
	s := startPaySite(t, "replay", map[string]any{"free_round": -1, "grace": -1, "backend": "offline", "offline_ledger": g})
	s.file("f.bin", 1000)
	l := offlineLedger(t)
	endpoint := s.url("replay", DefaultPaymentEndpoint)
	tok := newToken()
	status, pr := challenge(t, s, "replay", "/f.bin", tok)
	if status != http.StatusPaymentRequired {
		t.Fatalf("first fetch without a free round: %d", status)
	}
	before := tptOf(t, l, payOperator.Address())
	seq := seqOf(t, l, payPayer.Address())
	env := envelope(t, pr, payPayer, seq+1, payPrice)

	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, r, _ := post(t, endpoint, env)
			mu.Lock()
			codes[strconv.Itoa(st)+" "+r.Error]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["200 "] != 1 || codes["409 already_submitted"] != 99 {
		t.Fatalf("100 submissions of one envelope answered %v", codes)
	}
	if got := tptOf(t, l, payOperator.Address()) - before; got != payStroops {
		t.Fatalf("operator received %d stroops, want %d", got, payStroops)
	}
	if resp, _ := (&client{Client: http.DefaultClient, token: tok}).get(t, s.url("replay", "/f.bin")); resp.StatusCode != 200 {
		t.Fatalf("paid session: %s", resp.Status)
	}

	again := envelope(t, pr, payPayer, seq+2, payPrice)
	_, other := challenge(t, s, "replay", "/f.bin", newToken())
	unknown := other
	unknown.ID[0] ^= 0xff
	tests := []struct {
		name   string
		env    string
		status int
		code   string
	}{
		{"valid envelope for a paid request", again, 409, stellarpay.ErrReplay.Code},
		{"garbage", "not base64 at all", 400, stellarpay.ErrMalformed.Code},
		{"unknown request", envelope(t, unknown, payPayer, seq+2, payPrice), 404, settlement.ErrUnknownRequest.Code},
		{"amount too low", envelope(t, other, payPayer, seq+2, "1"), 400, stellarpay.ErrAmount.Code},
		{"wrong signer", signedBy(t, other, payPayer, payBroke, seq+2), 400, stellarpay.ErrBadSignature.Code},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, r, _ := post(t, endpoint, tc.env)
			if st != tc.status || r.Error != tc.code || r.Message == "" {
				t.Fatalf("answered %d %+v, want %d %s", st, r, tc.status, tc.code)
			}
		})
	}
	t.Run("credential for a paid request", func(t *testing.T) {
		resp, body := (&client{Client: http.DefaultClient, token: tok}).get(t, s.url("replay", "/f.bin"),
			"Authorization", stellarpay.Credential{ID: pr.ID.String(), XDR: again}.Header())
		if resp.StatusCode != 409 || !containsCode(body, stellarpay.ErrReplay.Code) {
			t.Fatalf("answered %s %s", resp.Status, body)
		}
	})
	t.Run("credential repeated after crediting is served", func(t *testing.T) {
		hdr := stellarpay.Credential{ID: pr.ID.String(), XDR: env}.Header()
		if resp, body := (&client{Client: http.DefaultClient, token: tok}).get(t, s.url("replay", "/f.bin"), "Authorization", hdr); resp.StatusCode != 200 {
			t.Fatalf("answered %s %s", resp.Status, body)
		}
		if got := tptOf(t, l, payOperator.Address()) - before; got != payStroops {
			t.Fatalf("operator received %d stroops, want %d", got, payStroops)
		}
	})
	t.Run("GET on the endpoint is the status", func(t *testing.T) {
		c := &client{Client: http.DefaultClient}
		if resp, _ := c.get(t, endpoint, "TorPlus-Session", newToken()); resp.StatusCode != 400 {
			t.Fatalf("GET without id answered %s", resp.Status)
		}
		for id, want := range map[string]string{pr.ID.String(): `{"state":"paid"}`, payreq.NewID().String(): `{"state":"pending"}`} {
			resp, body := c.get(t, endpoint+"?id="+id, "TorPlus-Session", newToken())
			if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != want || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status of %s: %s %s, want %s", id, resp.Status, body, want)
			}
		}
		req, _ := http.NewRequest("PUT", endpoint, nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
			t.Fatalf("PUT answered %v, %v", resp, err)
		}
	})
	t.Run("offline ledger survives a reload", func(t *testing.T) {
		s.load(s.cfg)
		if l2 := offlineLedger(t); l2 != l || tptOf(t, l2, payOperator.Address())-before != payStroops {
			t.Fatal("the offline ledger was rebuilt by the reload")
		}
	})
}

func TestSettlementBackendFailures(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	z := paidZone(hz.URL)
	z["free_round"], z["grace"], z["throttle_rate"] = -1, "1m", 1_000_000
	s := startPaySite(t, "faults", z)
	s.file("f.bin", 1000)
	endpoint := s.url("faults", DefaultPaymentEndpoint)
	l := hz.Ledger
	tests := []struct {
		name   string
		fault  func()
		status int
		code   string
		stale  bool // pay with a used sequence number (tx_bad_seq)
	}{
		{name: "5xx", fault: func() { hz.SetFailStatus(503) }, status: 503, code: stellarpay.ErrUnavailable.Code},
		{name: "timeout", fault: func() { hz.SetDelay(5 * time.Second) }, status: 503, code: stellarpay.ErrUnavailable.Code},
		{name: "tx_bad_seq", fault: func() {}, status: 402, code: stellarpay.ErrRejected.Code, stale: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := newToken()
			status, pr := challenge(t, s, "faults", "/f.bin", tok)
			if status != 200 {
				t.Fatalf("first fetch, in grace: %d", status)
			}
			before := tptOf(t, l, payOperator.Address())
			seq := seqOf(t, l, payPayer.Address())
			env := envelope(t, pr, payPayer, seq+1, payPrice)
			if tc.stale {
				env = envelope(t, pr, payPayer, seq, payPrice)
			}
			tc.fault()
			st, r, hdr := post(t, endpoint, env)
			hz.SetFailStatus(0)
			hz.SetDelay(0)
			if st != tc.status || r.Error != tc.code {
				t.Fatalf("answered %d %+v, want %d %s", st, r, tc.status, tc.code)
			}
			if st == 503 && hdr.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if tc.stale && (r.Codes == nil || r.Codes.Transaction != "tx_bad_seq") {
				t.Fatalf("result codes %+v", r.Codes)
			}
			if resp, _ := (&client{Client: http.DefaultClient, token: tok}).get(t, s.url("faults", "/f.bin")); resp.StatusCode != 200 {
				t.Fatalf("client not kept within grace: %s", resp.Status)
			}
			if tc.stale { // released: the client pays again with the right sequence
				if st, r, _ := post(t, endpoint, envelope(t, pr, payPayer, seqOf(t, l, payPayer.Address())+1, payPrice)); st != 200 {
					t.Fatalf("payment after tx_bad_seq: %d %+v", st, r)
				}
			}
			for i := 0; i < 150 && tptOf(t, l, payOperator.Address()) == before; i++ {
				time.Sleep(100 * time.Millisecond) // the handler retries in the background
			}
			if got := tptOf(t, l, payOperator.Address()) - before; got != payStroops {
				t.Fatalf("operator received %d stroops, want %d", got, payStroops)
			}
			n := 0
			for range 50 {
				if n = paidSessions(s.sessions("faults")); n == i+1 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if n != i+1 {
				t.Fatalf("%d sessions credited, want %d", n, i+1)
			}
		})
	}
}

// signedBy signs a payment for pr from source's account with signer's key.
func signedBy(t testing.TB, pr payreq.Request, source, signer *keypair.Full, seq int64) string {
	t.Helper()
	return spt.MustEnvelope(t, spt.Tx{Source: source, Sequence: seq, Signers: []*keypair.Full{signer},
		Ops:        []txnbuild.Operation{spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, pr.Amount.String())},
		Memo:       txnbuild.MemoHash(pr.ID),
		TimeBounds: txnbuild.NewTimebounds(0, pr.ExpiresAt.Unix())})
}

// offlineLedger returns the one offline backend ledger in use.
func offlineLedger(t testing.TB) *simledger.Ledger {
	t.Helper()
	var found []*simledger.Ledger
	offlineLedgers.Range(func(_, v any) bool {
		found = append(found, v.(pooledSettler).Ledger)
		return true
	})
	if len(found) != 1 {
		t.Fatalf("%d offline ledgers in use, want 1", len(found))
	}
	return found[0]
}

// containsCode reports whether a JSON refusal body has error code.
func containsCode(body []byte, code string) bool {
	return bytes.Contains(body, []byte(`"error":"`+code+`"`))
}

// paidSessions counts the sessions allowed at least one paid round.
func paidSessions(info map[string]SessionInfo) int {
	n := 0
	for _, s := range info {
		if s.BytesAllowed >= 200_000 {
			n++
		}
	}
	return n
}

// flakyProxy is a real HTTP reverse proxy to target that answers 503 to
// everything while down is set; failed counts those answers.
type flakyProxy struct {
	URL          string
	down, failed atomic.Int64
}

func startFlakyProxy(t *testing.T, target string) *flakyProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &flakyProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() != 0 {
			f.failed.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/"
	return f
}

func TestPayingClientRidesOutBackendOutage(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	flaky := startFlakyProxy(t, hz.URL) // the site's way to Horizon; the client's is direct
	z := paidZone(flaky.URL)
	z["grace"] = "1m"
	s := startPaySite(t, "outage", z)
	want := s.file("f.bin", 50_000)
	c := payingClient(t, hz, payPayer, 100*payStroops)
	before := tptOf(t, hz.Ledger, payOperator.Address())
	for i := range 24 {
		switch i {
		case 6:
			flaky.down.Store(1)
		case 12:
			flaky.down.Store(0)
		}
		fetchOK(t, c, s.url("outage", "/f.bin"), want, i)
	}
	count, _ := c.Paid()
	var got int64
	for range 100 { // the payment sent during the outage lands in the background
		if got = tptOf(t, hz.Ledger, payOperator.Address()) - before; got == int64(count)*payStroops {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if count < 5 || got != int64(count)*payStroops {
		t.Fatalf("%d payments sent; operator received %d stroops", count, got)
	}
	if v := s.metric(`torplus_payment_required_total{zone="outage"}`); v != "0" {
		t.Fatalf("client got %s 402s during the outage", v)
	}
	if flaky.failed.Load() == 0 {
		t.Fatal("no settlement met the outage")
	}
}

// fetchOK fetches u with the paying client and wants 200 with body want.
func fetchOK(t *testing.T, c *payclient.Client, u string, want []byte, i int) {
	t.Helper()
	resp, err := c.Get(context.Background(), u)
	if err != nil {
		t.Fatalf("fetch %d: %v", i, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("fetch %d: %s, %d bytes", i, resp.Status, len(body))
	}
}
