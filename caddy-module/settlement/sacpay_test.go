package settlement_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestSACAuthorizationPaysOnce: a SAC transfer to the bare payee, handed
// over with a request's id (as an x402 or Payment credential is), pays
// that request; the same authorization handed over for another request,
// to this replica or to another sharing the database, is refused as a
// replay, its replay key being recorded once: the payer's nonce pays once.
func TestSACAuthorizationPaysOnce(t *testing.T) {
	srv := sacNet(t, 50*time.Millisecond, "")
	path := filepath.Join(t.TempDir(), "shared.db")
	o, err := stellarpay.NewOfflineSettler(clienttest.Genesis()) // for the fixture's envelopes, unused here
	if err != nil {
		t.Fatal(err)
	}
	var replicas []*settlement.Service
	var f *fixture
	for range 2 {
		db, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(db, 10*time.Millisecond, nil)
		t.Cleanup(func() { st.Close() })
		if f == nil {
			f = &fixture{store: st, backend: o}
		}
		var svc *settlement.Service
		svc = settlement.New(settlement.Config{Zone: "z", Store: st, Backend: rpcSettler(t, srv, &svc), Timeout: 5 * time.Second})
		t.Cleanup(svc.Close)
		replicas = append(replicas, svc)
	}
	a, _ := f.request(t, "z")
	b, _ := f.request(t, "z")
	env := sacPayment(t, srv, a.Destination, int64(a.Amount), clienttest.Broke, 10)
	ctx := context.Background()
	if _, err := replicas[0].Pay(ctx, env, &a.ID, "client"); err != nil {
		t.Fatalf("paying request a: %v", err)
	}
	for i, svc := range replicas {
		if _, err := svc.Pay(ctx, env, &b.ID, "client"); !errors.Is(err, stellarpay.ErrReplay) {
			t.Errorf("replica %d: the same authorization for request b: %v, want ErrReplay", i, err)
		}
	}
	for id, want := range map[payreq.ID]store.State{a.ID: store.Paid, b.ID: store.Pending} {
		if got, err := f.store.PaymentRequest(ctx, id); err != nil || got.State != want {
			t.Errorf("request %s: %s, %v; want %s", id, got.State, err, want)
		}
	}
}
