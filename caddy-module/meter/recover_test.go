package meter

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestInterruptedSettlementIsRecovered: two payment requests are left
// settling, as a kill -9 between BeginSettle and FinishSettle leaves them.
// The transaction of the first landed on Stellar; the second never did.
// When the handler is provisioned again (a restart), the first is credited
// exactly once and the second is released once it can no longer land.
func TestInterruptedSettlementIsRecovered(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	zone := paidZone(hz.URL)
	zone["request_ttl"] = "2s"
	s := startPaySite(t, "recover", zone)
	s.file("f.bin", 60_000)
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(s.dir, "..", "recover.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Each new session's second fetch carries a payment request (ask_at 0.5).
	settling := func(land bool) (payreq.Request, string) {
		c := &client{Client: http.DefaultClient, token: newToken()}
		c.get(t, s.url("recover", "/f.bin"))
		_, pr := challenge(t, s, "recover", "/f.bin", c.token)
		env := envelope(t, pr, payPayer, seqOf(t, hz.Ledger, payPayer.Address())+1, payPrice)
		tx, err := txnbuild.TransactionFromXDR(env)
		if err != nil {
			t.Fatal(err)
		}
		inner, _ := tx.Transaction()
		hash, err := inner.HashHex(spt.Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		id := pr.ID
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := db.BeginSettle(ctx, id, hash, time.Now())
			if err == nil {
				break
			}
			if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
				t.Fatalf("BeginSettle: %v", err)
			}
			time.Sleep(20 * time.Millisecond) // the request is still in the write batch
		}
		if land {
			if _, _, err := hz.Ledger.Submit(env); err != nil {
				t.Fatal(err)
			}
		}
		return pr, hash
	}
	landed, landedHash := settling(true)
	lost, _ := settling(false)

	s.load(s.cfg) // provisions the handler again, as a restart does
	state := func(pr payreq.Request) store.PaymentRequest {
		id := pr.ID
		p, err := db.PaymentRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	deadline := time.Now().Add(30 * time.Second)
	for state(landed).State != store.Paid || state(lost).State == store.Settling {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: landed request %s, lost request %s", state(landed).State, state(lost).State)
		}
		time.Sleep(100 * time.Millisecond)
	}
	credits, err := db.Credits(ctx, "recover", state(landed).Session)
	if err != nil || len(credits) != 1 || credits[0].TxHash != landedHash {
		t.Fatalf("credits of the landed payment: %+v (%v), want one with tx %s", credits, err, landedHash)
	}
	if c, err := db.Credits(ctx, "recover", state(lost).Session); err != nil || len(c) != 0 {
		t.Fatalf("the payment that never landed was credited: %+v (%v)", c, err)
	}
}
