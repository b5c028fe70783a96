package stellarpay

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// horizonAnswers is what a hostile Horizon answers: to the submission
// (POST /transactions) and to the look-up of the transaction by hash.
type horizonAnswers struct {
	mu                         sync.Mutex
	submitStatus, lookupStatus int
	submitBody, lookupBody     string
}

func (a *horizonAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	a.mu.Lock()
	status, body := a.lookupStatus, a.lookupBody
	if r.Method == http.MethodPost {
		status, body = a.submitStatus, a.submitBody
	}
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// FuzzHorizonAnswer lets a hostile Horizon (over real HTTP on loopback,
// read by the SDK's horizonclient) answer a settlement with any status and
// body. Settle must not panic or hang; a refusal is an *Error of one of our
// kinds; a success must name the transaction that was submitted — a
// Horizon cannot credit a payment with another transaction's receipt.
func FuzzHorizonAnswer(f *testing.F) {
	p := &Payment{Envelope: "AAAAAgAAAAA=", Hash: sha256.Sum256([]byte("fuzz"))}
	ok := `{"hash":"` + p.HashHex() + `","ledger":7,"successful":true}`
	notFound := `{"type":"https://stellar.org/horizon-errors/not_found","title":"Resource Missing","status":404}`
	failed := `{"type":"https://stellar.org/horizon-errors/transaction_failed","title":"Transaction Failed","status":400,` +
		`"extras":{"envelope_xdr":"","result_codes":{"transaction":"tx_failed","operations":["op_underfunded"]},"result_xdr":""}}`
	f.Add(200, ok, 404, notFound)
	f.Add(200, `{"hash":"`+strings.Repeat("0", 64)+`","ledger":7,"successful":true}`, 404, notFound)
	f.Add(400, failed, 404, notFound)
	f.Add(504, `{"status":504}`, 200, ok)
	f.Add(504, "", 200, strings.Replace(ok, "true", "false", 1))
	f.Add(429, "not json", 500, "{")
	f.Add(200, `{"hash":null,"ledger":-1}`, 404, "")
	answers := &horizonAnswers{}
	srv := httptest.NewServer(answers) // 127.0.0.1, a free port
	f.Cleanup(srv.Close)
	h := NewHorizonSettler(srv.URL, 2*time.Second)
	h.Backoff = Backoff{Attempts: 2}
	h.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	f.Fuzz(func(t *testing.T, submitStatus int, submitBody string, lookupStatus int, lookupBody string) {
		answers.mu.Lock()
		answers.submitStatus, answers.submitBody = httpStatus(submitStatus), submitBody
		answers.lookupStatus, answers.lookupBody = httpStatus(lookupStatus), lookupBody
		answers.mu.Unlock()
		r, err := h.Settle(context.Background(), p)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (!errors.Is(err, ErrRejected) && !errors.Is(err, ErrUnavailable)) {
				t.Fatalf("refusal %v (%T) is not ErrRejected or ErrUnavailable", err, err)
			}
			return
		}
		if r.Hash != p.HashHex() {
			t.Fatalf("settled with the receipt of transaction %q, not %s", r.Hash, p.HashHex())
		}
	})
}

// httpStatus maps any int to a status a server can send (200–599).
func httpStatus(n int) int {
	if n >= 200 && n <= 599 {
		return n
	}
	if n < 0 {
		n = -(n + 1) // never overflows
	}
	return 200 + n%400
}
