package meter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"

	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/internal/rpcsim"
)

// TestX402FacilitatorAnswerLost: the x402 Foundation's facilitator (the
// real one, from npm) settles the payment, and its answer never reaches
// the hoster: a proxy on 127.0.0.1 forwards /settle and drops the
// connection once the facilitator has answered. The payer is told 503
// with Retry-After; the settlement's worker finds the transaction by the
// payer's nonce (used, by exactly this transfer) and credits the
// request, once: the payee grew by the price once, the request ends
// paid, the retried credential is served with its receipt (naming the
// facilitator's transaction) and buys nothing more, and the
// same authorization spent again is refused, by the hoster and by the
// facilitator's ledger. The hoster's fee account submitted nothing.
func TestX402FacilitatorAnswerLost(t *testing.T) {
	srv := startRPCNetOn(t, time.Second, network.TestNetworkPassphrase)
	facilitator := rpcsim.X402Facilitator(t, srv.URL, payFacilitator)
	var dropped atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, facilitator+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if strings.HasSuffix(r.URL.Path, "/settle") {
			dropped.Add(1) // the facilitator submitted and answered; the hoster never hears it
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(proxy.Close)
	r := startRPCSite(t, "lost", srv, map[string]any{"network": network.TestNetworkPassphrase, "facilitator": proxy.URL})
	token := newToken()
	pr, o := askedAt(t, r.site, r.zone, token)
	acc, tx := sponsoredX402(t, r, o)
	amount, _ := x402.ParseAmount(acc.Amount)
	before, feeSeq := tptOf(t, r.rpc.Ledger, payOperator.Address()), seqOf(t, r.rpc.Ledger, payFee.Address())
	payload := x402.PaymentPayload{X402Version: 2, Resource: &o.required.Resource, Accepted: acc, Payload: x402.ExactPayload{Transaction: tx}}
	sig, _ := x402.EncodeSignature(payload)

	resp, body := payer(token).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || dropped.Load() != 1 {
		t.Fatalf("the facilitator's answer lost: %s (Retry-After %q) %s; /settle dropped %d times", resp.Status, resp.Header.Get("Retry-After"), body, dropped.Load())
	}
	db := zoneDB(t, r, r.zone)
	ctx := context.Background()
	var got store.PaymentRequest
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if got, err = db.PaymentRequest(ctx, pr.ID); err == nil && got.State != store.Settling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %s after 20 s", pr.ID, got.State)
		}
	}
	if got.State != store.Paid {
		t.Fatalf("request %s ended %s, want paid", pr.ID, got.State)
	}
	if moved := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; moved != amount {
		t.Fatalf("payee received %d, want %d", moved, amount)
	}
	assertCredits(t, r, pr, 1)
	// The transaction found is recorded as the payment's: the facilitator's.
	sent, err := db.(store.LedgerWatch).Submissions(ctx, got.TxHash)
	if err != nil || len(sent) != 1 {
		t.Fatalf("transactions recorded for the payment: %v (%v), want the facilitator's", sent, err)
	}
	if landed, err := r.rpc.Ledger.Transaction(sent[0]); err != nil || !landed.Successful || landed.Source != payFacilitator.Address() {
		t.Fatalf("recorded %s: %+v, %v; want the facilitator's successful transaction", sent[0], landed, err)
	}
	if seqOf(t, r.rpc.Ledger, payFee.Address()) != feeSeq {
		t.Fatal("the hoster's fee account submitted the spent authorization again")
	}

	// The payer retries, as 503 told it: served, buying nothing more.
	resp, body = payer(token).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the credential retried: %s %s", resp.Status, body)
	}
	if sr, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse)); err != nil || !sr.Success || sr.Transaction != sent[0] {
		t.Fatalf("the retried credential's PAYMENT-RESPONSE: %+v (%v), want success naming the facilitator's %s", sr, err, sent[0])
	}
	assertCredits(t, r, pr, 1)
	// The same authorization again: refused by the hoster (another
	// session) and by the ledger (the facilitator, asked directly).
	if resp, _ = payer(newToken()).get(t, r.url(r.zone, "/f.bin"), x402.HeaderSignature, sig); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("the payload from another session: %s", resp.Status)
	}
	again, err := (&x402.Client{URL: facilitator, HTTP: &http.Client{Timeout: 30 * time.Second}}).Settle(ctx, payload, acc)
	if err != nil || again.Success {
		t.Fatalf("the facilitator settling the spent authorization again: %+v, %v; want a refusal", again, err)
	}
	if moved := tptOf(t, r.rpc.Ledger, payOperator.Address()) - before; moved != amount {
		t.Fatalf("after the replays the payee received %d, want %d", moved, amount)
	}
}
