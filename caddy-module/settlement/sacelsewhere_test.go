package settlement_test

import (
	"context"
	"errors"
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
			other := rpcSettler(t, srv, nil) // another submitter, unknown to the zone
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
			var got store.PaymentRequest
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				var err error
				if got, err = f.store.PaymentRequest(context.Background(), pr.ID); err == nil && got.State != store.Settling {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("request still %s", got.State)
				}
			}
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
