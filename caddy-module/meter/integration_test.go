package meter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/identity"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

const (
	mib       = 1 << 20
	freeRound = 3_000_000
	roundSize = 5_000_000
	rate      = 1_000_000
	grace     = 4 * time.Second
)

func meteredZone() map[string]any {
	return map[string]any{"free_round": freeRound, "round_bytes": roundSize, "throttle_rate": rate, "grace": grace.String()}
}

// upstream starts a real HTTP server that streams n bytes in flushed chunks
// with no Content-Length, for the reverse_proxy path.
func upstream(t *testing.T, n int) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 10_000)
		for sent := 0; sent < n; sent += len(chunk) {
			w.Write(chunk[:min(len(chunk), n-sent)])
			w.(http.Flusher).Flush()
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestMeteredServer(t *testing.T) {
	var readFroms atomic.Int64
	readFromHook = func() { readFroms.Add(1) }
	t.Cleanup(func() { readFromHook = nil })

	site := startSite(t, map[string]map[string]any{"metered": meteredZone()}, upstream(t, 300_000))
	big := site.file("big.bin", mib)
	small := site.file("small.txt", 1000)
	site.file("mid.bin", 400_000)
	u := func(p string) string { return site.url("metered", p) }

	t.Run("clearnet client gets 403", func(t *testing.T) {
		resp, body := newClient(0, "192.0.2.7", "").get(t, u("/small.txt"))
		if resp.StatusCode != 403 || !strings.Contains(string(body), "only over Tor") {
			t.Fatalf("clearnet: %s %q", resp.Status, body)
		}
	})

	t.Run("bad session token gets 400", func(t *testing.T) {
		resp, _ := newClient(10, "", "not-a-token").get(t, u("/small.txt"))
		if resp.StatusCode != 400 {
			t.Fatalf("bad token: %s", resp.Status)
		}
	})

	t.Run("file_server ReadFrom counted exactly", func(t *testing.T) {
		before := readFroms.Load()
		resp, body := newClient(2001, "", "").get(t, u("/big.bin"))
		if resp.StatusCode != 200 || !bytes.Equal(body, big) {
			t.Fatalf("big.bin: %s, %d bytes", resp.Status, len(body))
		}
		if readFroms.Load() == before {
			t.Fatal("file_server did not go through the metered ReadFrom")
		}
		if got := site.servedTo("metered", circuitKey(2001), int64(len(body))); got != int64(len(body)) {
			t.Fatalf("counted %d bytes, client received %d", got, len(body))
		}
	})

	t.Run("range requests counted exactly", func(t *testing.T) {
		c := newClient(2002, "", "")
		resp, one := c.get(t, u("/big.bin"), "Range", "bytes=100-199")
		if resp.StatusCode != 206 || !bytes.Equal(one, big[100:200]) {
			t.Fatalf("single range: %s, %d bytes", resp.Status, len(one))
		}
		resp, multi := c.get(t, u("/big.bin"), "Range", "bytes=0-9,5000-5999")
		if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
			t.Fatalf("multi range: %s %s", resp.Status, resp.Header.Get("Content-Type"))
		}
		want := int64(len(one) + len(multi))
		if got := site.servedTo("metered", circuitKey(2002), want); got != want {
			t.Fatalf("counted %d bytes, client received %d", got, want)
		}
	})

	t.Run("reverse_proxy stream counted exactly", func(t *testing.T) {
		resp, body := newClient(2003, "", "").get(t, u("/proxy/stream"))
		if resp.StatusCode != 200 || len(body) != 300_000 {
			t.Fatalf("proxy: %s, %d bytes", resp.Status, len(body))
		}
		if got := site.servedTo("metered", circuitKey(2003), 300_000); got != 300_000 {
			t.Fatalf("counted %d bytes, client received 300000", got)
		}
	})

	t.Run("session token follows the client across circuits", func(t *testing.T) {
		token := newToken()
		newClient(3001, "", token).get(t, u("/small.txt"))
		newClient(3002, "", token).get(t, u("/small.txt"))
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		sum := sha256.Sum256(raw)
		if got := site.servedTo("metered", "session:"+hex.EncodeToString(sum[:]), 2*int64(len(small))); got != 2*int64(len(small)) {
			t.Fatalf("session counted %d bytes, want %d", got, 2*len(small))
		}
		// The circuit the token was first seen on handed its free round
		// over (TestTokenFarming); no key holds the raw token.
		for k, x := range site.sessions("metered") {
			if strings.Contains(k, token) || (k == circuitKey(3002) && x.BytesServed != 0) {
				t.Fatalf("session %q (served %d): the raw token leaked into keys, or a second circuit paid", k, x.BytesServed)
			}
		}
	})

	t.Run("free round, early payment request, throttle, 402, pay", func(t *testing.T) {
		c := newClient(1001, "", "")
		for i := range 2 { // 2 MiB of the 3 MB free round: no request yet
			resp, _ := c.get(t, u("/big.bin"))
			if resp.StatusCode != 200 || offersSome(resp.Header) {
				t.Fatalf("download %d: %s, offers %v", i, resp.Status, resp.Header)
			}
		}
		resp, _ := c.get(t, u("/mid.bin")) // 2,497,152 of 3,000,000: past 80% after this
		if offersSome(resp.Header) {
			t.Fatal("payment request sent before 80% of the round")
		}
		resp, _ = c.get(t, u("/small.txt"))
		if resp.StatusCode != 200 {
			t.Fatalf("at 80%%: %s", resp.Status)
		}
		early := offersOf(t, resp.Header) // the notice: the 402's formats on a 200

		// This download crosses the end of the free round: the rest is throttled.
		throttledBytes := int64(2_498_152+mib) - freeRound
		start := time.Now()
		resp, body := c.get(t, u("/big.bin"))
		if took, least := time.Since(start), time.Duration(throttledBytes*int64(time.Second)/rate); resp.StatusCode != 200 ||
			!bytes.Equal(body, big) || took < least*8/10 {
			t.Fatalf("crossing download: %s, %d bytes in %v; %d throttled bytes need ≥ %v", resp.Status, len(body), took, throttledBytes, least)
		}
		resp, _ = c.get(t, u("/small.txt"))
		if resp.StatusCode != 200 || offersOf(t, resp.Header).id != early.id {
			t.Fatalf("during grace: %s, offers %v", resp.Status, resp.Header)
		}
		time.Sleep(grace)
		resp, body = c.get(t, u("/small.txt"), "Accept", "application/json")
		if resp.StatusCode != http.StatusPaymentRequired {
			t.Fatalf("after grace: %s, want 402", resp.Status)
		}
		var fromBody payreq.Request
		if err := json.Unmarshal(body, &fromBody); err != nil {
			t.Fatalf("402 body: %v\n%s", err, body)
		}
		checkRequest(t, fromBody, "http://"+site.ports["metered"]+DefaultPaymentEndpoint)
		if fromHeader := offersOf(t, resp.Header); fromHeader.id != fromBody.ID || fromBody.ID != early.id {
			t.Fatalf("402: header names %s, body %+v, early id %s", fromHeader.id, fromBody, early.id)
		}

		resp, body = c.get(t, u("/small.txt"), "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		page := string(body)
		if resp.StatusCode != 402 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "data:image/png;base64,") || !strings.Contains(page, `href="web&#43;stellar:pay?`) {
			t.Fatalf("browser 402: %s %s\n%.300s", resp.Status, resp.Header.Get("Content-Type"), page)
		}

		var listed []PaymentRequestInfo
		site.adminGet("/torplus/payment-requests?zone=metered&state=pending", &listed)
		found := false
		for _, p := range listed {
			found = found || (p.ID == early.id && p.Session == sessionKey("metered", mustKey(t, circuitKey(1001))) && p.Amount == 25_000_000)
		}
		if !found {
			t.Fatalf("admin API does not list request %s as pending: %+v", early.id, listed)
		}

		// The payment endpoint settles through the shared ledger; the
		// meter hears of the credit at once.
		l, err := store.Acquire(context.Background(), store.Config{Driver: "sqlite", DSN: site.dir + "/../metered.db"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		id := early.id
		if _, err := l.BeginSettle(context.Background(), id, "aa11", time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := l.FinishSettle(context.Background(), id, "aa11", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, body = c.get(t, u("/big.bin"))
		if resp.StatusCode != 200 || !bytes.Equal(body, big) || offersSome(resp.Header) {
			t.Fatalf("after paying: %s, %d bytes, offers %v", resp.Status, len(body), resp.Header)
		}
		if got := site.sessions("metered")[circuitKey(1001)]; got.BytesAllowed != freeRound+roundSize || got.Rounds != 2 {
			t.Fatalf("after paying: session %+v", got)
		}
		for _, m := range []string{"payment_required_total", "throttled_responses_total", "payment_requests_issued_total"} {
			v, _ := strconv.ParseFloat(site.metric(`torplus_`+m+`{zone="metered"}`), 64)
			if v < 1 {
				t.Errorf("metric torplus_%s = %v, want ≥ 1", m, v)
			}
		}
	})
}

// checkRequest checks a payment request names the configured terms.
func checkRequest(t *testing.T, r payreq.Request, callback string) {
	t.Helper()
	q, err := payreq.ParseSEP7(r.URI)
	if err != nil {
		t.Fatal(err)
	}
	if r.Destination != testDest || r.AssetIssuer != testIssuer || r.AssetCode != "TPT" || r.Amount != 25_000_000 ||
		r.Bytes != roundSize || r.Callback != callback || time.Until(r.ExpiresAt) < 10*time.Minute {
		t.Fatalf("request %+v", r)
	}
	for k, v := range map[string]string{"destination": testDest, "asset_code": "TPT", "asset_issuer": testIssuer,
		"amount": "2.5", "callback": callback, "memo_type": "MEMO_HASH"} {
		if q.Get(k) != v {
			t.Fatalf("SEP-7 %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("memo") != base64.StdEncoding.EncodeToString(r.ID[:]) {
		t.Fatal("SEP-7 memo is not the request id")
	}
}

var _ = identity.SessionHeader

// mustKey parses an identity key's text form.
func mustKey(t testing.TB, s string) identity.Key {
	t.Helper()
	k, err := identity.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
