package settlement_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// fixture is a zone's Service on a real SQLite store and a real offline ledger.
type fixture struct {
	store   *store.Store
	backend *stellarpay.OfflineSettler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, 10*time.Millisecond, nil)
	t.Cleanup(func() { st.Close() })
	o, err := stellarpay.NewOfflineSettler(clienttest.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: st, backend: o}
}

func (f *fixture) service(t *testing.T, zone string, backend stellarpay.Settler) *settlement.Service {
	s := settlement.New(settlement.Config{Zone: zone, Store: f.store, Backend: backend, Timeout: 2 * time.Second})
	t.Cleanup(s.Close)
	return s
}

// request stores a pending request of zone and returns it with the
// payer's envelope for it.
func (f *fixture) request(t testing.TB, zone string) (payreq.Request, string) {
	t.Helper()
	pr := payreq.Request{ID: payreq.NewID(), Method: payreq.Method, Destination: clienttest.Operator.Address(),
		AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(), Amount: 15_000_000,
		NetworkPassphrase: spt.Passphrase, Bytes: 1000, ExpiresAt: time.Now().Add(time.Minute).Truncate(time.Second)}
	if err := f.store.PutPaymentRequests(context.Background(), []store.PaymentRequest{{Request: pr, Zone: zone,
		Session: zone + "/session:x", CreatedAt: time.Now(), State: store.Pending}}); err != nil {
		t.Fatal(err)
	}
	acct, err := f.backend.Ledger.Account(clienttest.Payer.Address())
	if err != nil {
		t.Fatal(err)
	}
	env := spt.MustEnvelope(t, spt.Tx{Source: clienttest.Payer, Sequence: acct.Sequence + 1,
		Ops:  []txnbuild.Operation{spt.Pay(pr.Destination, "TPT", pr.AssetIssuer, pr.Amount.String())},
		Memo: txnbuild.MemoHash(pr.ID), TimeBounds: txnbuild.NewTimebounds(0, pr.ExpiresAt.Unix())})
	return pr, env
}

// TestPayRefusals: which error comes back for a payment the Service must
// not settle, and that it moved no money.
func TestPayRefusals(t *testing.T) {
	f := newFixture(t)
	_, other := f.request(t, "other-zone")
	_, mine := f.request(t, "zone")
	tests := []struct {
		name    string
		backend stellarpay.Settler
		env     string
		want    error
	}{
		{"another zone's request", f.backend, other, settlement.ErrUnknownRequest},
		{"no backend", nil, mine, settlement.ErrPaymentsOff},
		{"not an envelope", f.backend, "AAAA", stellarpay.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.service(t, "zone", tc.backend).Pay(context.Background(), tc.env, nil, "client")
			if !errors.Is(err, tc.want) {
				t.Fatalf("Pay = %v, want %v", err, tc.want)
			}
		})
	}
	if b, _ := f.backend.Ledger.Balance(clienttest.Operator.Address(), clienttest.TPT); b != 0 {
		t.Fatalf("refused payments moved %d stroops", b)
	}
}

// TestRecoversFromTheStoreAlone: a request left settling (as a crash
// leaves it) whose transaction landed is credited by a new Service of its
// zone, from the store and a look-up alone, exactly once.
func TestRecoversFromTheStoreAlone(t *testing.T) {
	f := newFixture(t)
	pr, env := f.request(t, "zone")
	res, _, err := f.backend.Ledger.Submit(env)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.store.BeginSettle(ctx, pr.ID, res.Hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.service(t, "other-zone", f.backend) // not its zone: must leave it alone
	f.service(t, "zone", f.backend)
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := f.store.PaymentRequest(ctx, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.State == store.Paid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the request is %s", p.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for zone, want := range map[string]int{"zone": 1, "other-zone": 0} {
		if c, err := f.store.Credits(ctx, zone, "zone/session:x"); err != nil || len(c) != want {
			t.Fatalf("zone %s: %d credits (%v), want %d", zone, len(c), err, want)
		}
	}
}
