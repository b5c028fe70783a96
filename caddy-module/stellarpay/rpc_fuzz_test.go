package stellarpay

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzRPCAnswer lets a hostile RPC (over real HTTP on loopback, read by
// the SDK's rpcclient) answer every request of a settlement — the fee
// account's entry, sendTransaction, getTransaction — with any JSON.
// Settle must not panic or hang; a refusal is an *Error of our kinds;
// and a receipt must name the transaction the settler sent, proven by an
// envelope that hashes to it: an RPC reporting success for another
// transaction credits nothing.
func FuzzRPCAnswer(f *testing.F) {
	l, err := simledger.New(sacGenesis(spt.Passphrase), nil)
	if err != nil {
		f.Fatal(err)
	}
	exp := expected()
	exp.ExpiresAt = time.Now().Add(time.Hour)
	sacPay, err := VerifySAC(sacTx{amount: 25_000_000, ledgers: 100}.envelope(f, l), exp, LedgerTime{Ledger: l.Number(), Now: time.Now()})
	if err != nil {
		f.Fatal(err)
	}
	classic := goodTx()
	classic.TimeBounds = spt.Until(time.Now().Add(time.Hour))
	classicPay, err := Verify(spt.MustEnvelope(f, classic), exp, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	// An honest answer for the classic payment, and the same for another
	// transaction (the stranger's envelope).
	okResult, _ := xdr.MarshalBase64(xdr.TransactionResult{Result: xdr.TransactionResultResult{Code: xdr.TransactionResultCodeTxSuccess, Results: &[]xdr.OperationResult{}}})
	other := goodTx()
	other.Source = stranger
	otherEnv := spt.MustEnvelope(f, other)
	got := func(hash, env string) string {
		return `{"status":"SUCCESS","txHash":"` + hash + `","ledger":9,"envelopeXdr":"` + env + `","resultXdr":"` + okResult + `","latestLedger":9,"latestLedgerCloseTime":"1","oldestLedger":1,"oldestLedgerCloseTime":"1","createdAt":"1"}`
	}
	sent := `{"status":"PENDING","hash":"` + classicPay.HashHex() + `","latestLedger":8,"latestLedgerCloseTime":"1"}`
	account := `{"entries":[],"latestLedger":8}`
	f.Add(true, sent, got(classicPay.HashHex(), classicPay.Envelope), account)
	f.Add(true, sent, got(classicPay.HashHex(), otherEnv), account)
	f.Add(false, sent, got(classicPay.HashHex(), classicPay.Envelope), account)
	f.Add(true, `{"status":"ERROR","hash":"`+classicPay.HashHex()+`","errorResultXdr":"AAAAAAAAAGT////7AAAAAA=="}`, `{"status":"NOT_FOUND"}`, account)
	f.Add(true, `{"status":"TRY_AGAIN_LATER"}`, `{"status":"FAILED","txHash":"`+classicPay.HashHex()+`"}`, account)
	f.Add(false, `{}`, `[]`, `{"entries":[{"key":"","xdr":"AAAA","lastModifiedLedgerSeq":1}]}`)
	answers := &spt.RPCAnswers{}
	srv := httptest.NewServer(answers) // 127.0.0.1, a free port
	f.Cleanup(srv.Close)
	var mu sync.Mutex
	var submitted []string
	st, err := NewRPCSettler(RPCConfig{URL: srv.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: feeKey,
		Timeout: 2 * time.Second, Poll: time.Millisecond, Wait: 5 * time.Millisecond, Backoff: Backoff{Attempts: 2},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		OnSubmit: func(_ *Payment, h string) error {
			mu.Lock()
			submitted = append(submitted, h)
			mu.Unlock()
			return nil
		}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, classicPayment bool, sendResult, getResult, entriesResult string) {
		answers.Set("sendTransaction", sendResult)
		answers.Set("getTransaction", getResult)
		answers.Set("getLedgerEntries", entriesResult)
		mu.Lock()
		submitted = nil
		mu.Unlock()
		p := sacPay
		if classicPayment {
			p = classicPay
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rc, err := st.Settle(ctx, p)
		if ctx.Err() != nil {
			t.Fatalf("Settle ran into the 5 s deadline: %v", err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == nil || (!errors.Is(err, ErrRejected) && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("Settle refused with %T %v, not one of our kinds", err, err)
			}
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(submitted) == 0 || rc.Hash != submitted[len(submitted)-1] {
			t.Fatalf("receipt %s is not the transaction sent (%v)", rc.Hash, submitted)
		}
		if classicPayment && rc.Hash != p.HashHex() {
			t.Fatalf("receipt %s for classic payment %s", rc.Hash, p.HashHex())
		}
	})
}
