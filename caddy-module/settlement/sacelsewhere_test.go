package settlement_test

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// lostAnswer is a settler (a facilitator) that lands something on the
// ledger and never answers: its Settle runs land, then reports the
// outcome unknown.
type lostAnswer struct{ land func(p *stellarpay.Payment) }

func (l lostAnswer) Settle(_ context.Context, p *stellarpay.Payment) (stellarpay.Receipt, error) {
	l.land(p)
	return stellarpay.Receipt{}, &stellarpay.Error{Kind: stellarpay.ErrUnavailable, Message: "the answer was lost"}
}

// TestSACLandedElsewhere: a SAC payment handed to a submitter whose
// answer is lost (503 to the payer) goes to the worker, which has no
// transaction to look up. What the ledger shows of the payer's nonce
// decides, through the rpcsim over HTTP: the payment landed by the
// submitter is credited once; the nonce used by another authorization of
// the payer — 1 stroop to a stranger, or a smaller transfer to this
// request's own muxed address — is not this payment, and the request is
// released, uncredited.
func TestSACLandedElsewhere(t *testing.T) {
	for _, tc := range []struct {
		name string
		// instead, if set, is what the payer lands with the payment's nonce.
		instead func(pr payreq.Request) (to string, amount int64)
		want    store.State
	}{
		{name: "the payment itself", want: store.Paid},
		{name: "1 stroop to a stranger", want: store.Pending,
			instead: func(payreq.Request) (string, int64) { return clienttest.Broke.Address(), 1 }},
		{name: "less to the request's muxed address", want: store.Pending,
			instead: func(pr payreq.Request) (string, int64) { return muxedOf(pr), int64(pr.Amount) - 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			srv := sacNet(t, 250*time.Millisecond, "") // 10 ledgers: 50 s to the verifier, 2.5 s here
			var svc *settlement.Service
			svc = settlement.New(settlement.Config{Zone: "z", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: 2 * time.Second})
			t.Cleanup(svc.Close)
			other := facilitatorOn(t, srv, nil)
			pr, _ := f.request(t, "z")
			env := sacPayment(t, srv, muxedOf(pr), int64(pr.Amount), clienttest.Broke, 10)
			l, tpt := srv.Ledger, clienttest.TPT
			before, _ := l.Balance(clienttest.Operator.Address(), tpt)
			via := lostAnswer{land: func(p *stellarpay.Payment) {
				landed := p.Envelope
				if tc.instead != nil {
					to, amount := tc.instead(pr)
					landed = reusingNonce(t, srv, env, to, amount)
				}
				if _, err := other.Settle(context.Background(), &stellarpay.Payment{Envelope: landed}); err != nil {
					t.Errorf("landing it: %v", err)
				}
			}}
			if _, err := svc.PayVia(context.Background(), env, &pr.ID, "client", via); !errors.Is(err, stellarpay.ErrUnavailable) {
				t.Fatalf("PayVia: %v, want ErrUnavailable", err)
			}
			got := awaitDecided(t, f, pr.ID)
			after, _ := l.Balance(clienttest.Operator.Address(), tpt)
			credits, err := f.store.Credits(context.Background(), "z", "z/session:x")
			if err != nil {
				t.Fatal(err)
			}
			wantMoved, wantCredits := int64(0), 0
			switch {
			case tc.want == store.Paid:
				wantMoved, wantCredits = int64(pr.Amount), 1
			case tc.instead != nil:
				if to, amount := tc.instead(pr); to == muxedOf(pr) {
					wantMoved = amount // the payer's own smaller transfer moved, and pays nothing
				}
			}
			if got.State != tc.want || after-before != wantMoved || len(credits) != wantCredits {
				t.Fatalf("request %s, payee received %d, %d credits; want %s, %d, %d", got.State, after-before, len(credits), tc.want, wantMoved, wantCredits)
			}
			if _, err := svc.Pay(context.Background(), env, &pr.ID, "client"); tc.want == store.Pending && !errors.Is(err, stellarpay.ErrRejected) {
				t.Fatalf("the released request paid with the spent authorization: %v, want ErrRejected", err)
			}
		})
	}
}

// reusingNonce is the payer's transfer of amount to "to", signed with the
// nonce (and expiration) of the SAC payment env: another authorization,
// same nonce.
func reusingNonce(t *testing.T, srv *rpcsim.Server, env, to string, amount int64) string {
	t.Helper()
	nonce, exp := credentialOf(t, env)
	return sacPayment(t, srv, to, amount, clienttest.Broke, 10, func(p *rpcsim.Prepared) {
		if err := spt.UseNonce(p.Auth, &p.Data, nonce); err != nil {
			t.Fatal(err)
		}
		if err := sac.Sign(&p.Auth[0], clienttest.Payer, exp, txenv.NetworkID(spt.Passphrase)); err != nil {
			t.Fatal(err)
		}
	})
}

// credentialOf is the nonce and expiration ledger of the payer's
// credential in the SAC payment env.
func credentialOf(t *testing.T, env string) (int64, uint32) {
	t.Helper()
	var e xdr.TransactionEnvelope
	if err := xdr.SafeUnmarshalBase64(env, &e); err != nil {
		t.Fatal(err)
	}
	c := e.V1.Tx.Operations[0].Body.InvokeHostFunctionOp.Auth[0].Credentials.Address
	return int64(c.Nonce), uint32(c.SignatureExpirationLedger)
}

// TestSameCredentialWhileSettling: the credential answered 503 (its
// submitter's answer lost) and sent again while the worker still settles
// it is told 503 with Retry-After again, not refused as a replay; another
// request paid with the same authorization is a replay.
func TestSameCredentialWhileSettling(t *testing.T) {
	f := newFixture(t)
	srv := sacNet(t, -1, "") // no ledger closes: the worker's resubmission stays open
	var svc *settlement.Service
	svc = settlement.New(settlement.Config{Zone: "z", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: time.Second})
	t.Cleanup(svc.Close)
	pr, _ := f.request(t, "z")
	other, _ := f.request(t, "z")
	env := sacPayment(t, srv, pr.Destination, int64(pr.Amount), clienttest.Broke, 10)
	ctx := context.Background()
	if _, err := svc.PayVia(ctx, env, &pr.ID, "client", lostAnswer{land: func(*stellarpay.Payment) {}}); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("PayVia: %v, want ErrUnavailable", err)
	}
	for _, tc := range []struct {
		name string
		id   payreq.ID
		want error
	}{
		{name: "the same credential", id: pr.ID, want: stellarpay.ErrUnavailable},
		{name: "the authorization for another request", id: other.ID, want: stellarpay.ErrReplay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Pay(ctx, env, &tc.id, "client")
			var e *stellarpay.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) || (tc.want == stellarpay.ErrUnavailable && e.RetryAfter <= 0) {
				t.Fatalf("Pay = %v, want %v (with Retry-After when unavailable)", err, tc.want)
			}
		})
	}
}

// TestSACLandedWhileResubmitted: the submitter whose answer was lost had
// only queued its transaction; the worker, seeing the nonce unused,
// submits the payment again, and both wait for the same ledger. The
// submitter's lands, ours fails on the used nonce; the worker then finds
// the submitter's by the nonce and credits the request once.
func TestSACLandedWhileResubmitted(t *testing.T) {
	f := newFixture(t)
	srv := sacNet(t, -1, "") // ledgers close when the test says
	var svc *settlement.Service
	svc = settlement.New(settlement.Config{Zone: "z", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: 5 * time.Second})
	t.Cleanup(svc.Close)
	queued := make(chan struct{}, 1)
	other := facilitatorOn(t, srv, func() { queued <- struct{}{} })
	pr, _ := f.request(t, "z")
	env := sacPayment(t, srv, muxedOf(pr), int64(pr.Amount), clienttest.Broke, 10)
	l, tpt := srv.Ledger, clienttest.TPT
	before, _ := l.Balance(clienttest.Operator.Address(), tpt)
	theirs := make(chan string, 1)
	via := lostAnswer{land: func(p *stellarpay.Payment) {
		go func() {
			rc, _ := other.Settle(context.Background(), &stellarpay.Payment{Envelope: p.Envelope})
			theirs <- rc.Hash
		}()
		<-queued
		time.Sleep(50 * time.Millisecond) // sent
	}}
	if _, err := svc.PayVia(context.Background(), env, &pr.ID, "client", via); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("PayVia: %v, want ErrUnavailable", err)
	}
	w, err := f.store.Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if sent, err := w.Submissions(context.Background(), replayKeyOf(t, env, pr)); err == nil && len(sent) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never submitted the payment again")
		}
	}
	time.Sleep(50 * time.Millisecond) // sent
	srv.CloseLedger()
	hash := <-theirs
	got := awaitDecided(t, f, pr.ID)
	after, _ := l.Balance(clienttest.Operator.Address(), tpt)
	sent, _ := w.Submissions(context.Background(), got.TxHash)
	if got.State != store.Paid || after-before != int64(pr.Amount) || hash == "" || !slices.Contains(sent, hash) || len(sent) != 2 {
		t.Fatalf("request %s, payee received %d; the submitter's %q, recorded %v (want it and ours)", got.State, after-before, hash, sent)
	}
}

// replayKeyOf is the replay key pr settles under when paid with the
// SAC payment env.
func replayKeyOf(t *testing.T, env string, pr payreq.Request) string {
	t.Helper()
	from, _ := sac.ParseAddress(clienttest.Payer.Address())
	nonce, _ := credentialOf(t, env)
	k := stellarpay.ReplayKey(txenv.NetworkID(pr.NetworkPassphrase), from.Key, nonce)
	return hex.EncodeToString(k[:])
}

// awaitDecided waits, up to 10 s, until request id is no longer settling.
func awaitDecided(t *testing.T, f *fixture, id payreq.ID) store.PaymentRequest {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := f.store.PaymentRequest(context.Background(), id)
		if err == nil && got.State != store.Settling {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %s (%v)", id, got.State, err)
		}
	}
}

// TestRetriedCredentialGetsItsReceipt: a SAC payment a lost submitter
// landed, credited by the worker; the credential is then sent again
// through PayVia (x402's way), for its own request or, the session
// having moved on, for the session's next one (x402 names no request):
// it gets its receipt, naming the submitter's transaction, and buys
// nothing (the next request stays pending). Another session's request
// paid with it is a replay.
func TestRetriedCredentialGetsItsReceipt(t *testing.T) {
	f := newFixture(t)
	srv := sacNet(t, 250*time.Millisecond, "")
	var svc *settlement.Service
	svc = settlement.New(settlement.Config{Zone: "z", Store: f.store, Backend: rpcSettler(t, srv, &svc), Timeout: 2 * time.Second})
	t.Cleanup(svc.Close)
	other := facilitatorOn(t, srv, nil)
	pr, _ := f.request(t, "z")
	next, _ := f.request(t, "z") // the same session's
	stranger := payreq.Request{ID: payreq.NewID(), Method: pr.Method, Destination: pr.Destination, AssetCode: pr.AssetCode,
		AssetIssuer: pr.AssetIssuer, Amount: pr.Amount, NetworkPassphrase: pr.NetworkPassphrase, Bytes: pr.Bytes, ExpiresAt: pr.ExpiresAt}
	if err := f.store.PutPaymentRequests(context.Background(), []store.PaymentRequest{{Request: stranger, Zone: "z",
		Session: "z/session:y", CreatedAt: time.Now(), State: store.Pending}}); err != nil {
		t.Fatal(err)
	}
	env := sacPayment(t, srv, pr.Destination, int64(pr.Amount), clienttest.Broke, 10)
	landed := make(chan string, 1)
	via := lostAnswer{land: func(p *stellarpay.Payment) {
		rc, err := other.Settle(context.Background(), &stellarpay.Payment{Envelope: p.Envelope})
		if err != nil {
			t.Errorf("landing it: %v", err)
		}
		landed <- rc.Hash
	}}
	ctx := context.Background()
	if _, err := svc.PayVia(ctx, env, &pr.ID, "client", via); !errors.Is(err, stellarpay.ErrUnavailable) {
		t.Fatalf("PayVia: %v, want ErrUnavailable", err)
	}
	tx := <-landed
	if got := awaitDecided(t, f, pr.ID); got.State != store.Paid {
		t.Fatalf("request %s", got.State)
	}
	for _, tc := range []struct {
		name string
		id   payreq.ID
		want error
	}{
		{name: "its own request", id: pr.ID},
		{name: "the session's next request", id: next.ID},
		{name: "another session's request", id: stranger.ID, want: stellarpay.ErrReplay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := svc.PayVia(ctx, env, &tc.id, "client", nil)
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Pay = %+v, %v; want %v", rc, err, tc.want)
			case tc.want == nil && (err != nil || rc.Status != "paid" || rc.ID != pr.ID.String() || rc.TxHash != tx || rc.Bytes != pr.Bytes):
				t.Fatalf("Pay = %+v, %v; want the receipt of %s naming %s", rc, err, pr.ID, tx)
			}
			if tc.id != pr.ID {
				if got, err := f.store.PaymentRequest(ctx, tc.id); err != nil || got.State != store.Pending {
					t.Fatalf("request %s after the retry: %s, %v; want pending", tc.id, got.State, err)
				}
			}
		})
	}
	if credits, err := f.store.Credits(ctx, "z", "z/session:x"); err != nil || len(credits) != 1 {
		t.Fatalf("credits: %+v, %v; want one", credits, err)
	}
}
