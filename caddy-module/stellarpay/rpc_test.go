package stellarpay

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/rpcsim"
)

// rpcNet is a simulated RPC closing ledgers every 50 ms and a settler on it.
func rpcNet(t *testing.T, mutate func(*RPCConfig)) (*rpcsim.Server, *RPCSettler) {
	t.Helper()
	_, s := simRPC(t, sacGenesis(spt.Passphrase), rpcsim.Options{Close: 50 * time.Millisecond})
	cfg := RPCConfig{URL: s.URL, NetworkPassphrase: spt.Passphrase, FeeAccount: feeKey,
		Timeout: 5 * time.Second, Poll: 10 * time.Millisecond, Wait: 5 * time.Second,
		Backoff: Backoff{Attempts: 3, Initial: 10 * time.Millisecond}}
	if mutate != nil {
		mutate(&cfg)
	}
	st, err := NewRPCSettler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return s, st
}

func verifySAC(t *testing.T, l *simledger.Ledger, tx sacTx) *Payment {
	t.Helper()
	exp := expected()
	exp.ExpiresAt = time.Now().Add(10 * time.Minute)
	p, err := VerifySAC(tx.envelope(t, l), exp, LedgerTime{Ledger: l.Number(), Now: time.Now(), Close: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func heldTPT(t *testing.T, l *simledger.Ledger, who string) int64 {
	t.Helper()
	b, err := l.Balance(who, tptAsset)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRPCSettlesSAC settles a SAC payment rebuilt with the fee account as
// source, and the same authorization a second time: the network's nonce
// makes the second fail, so it credits once.
func TestRPCSettlesSAC(t *testing.T) {
	var sent []string
	var mu sync.Mutex
	s, st := rpcNet(t, func(c *RPCConfig) {
		c.OnSubmit = func(_ *Payment, h string) error { mu.Lock(); sent = append(sent, h); mu.Unlock(); return nil }
	})
	ctx := context.Background()
	// Many ledgers of validity: the 50 ms test clock runs fast.
	p := verifySAC(t, s.Ledger, sacTx{amount: 25_000_000, ledgers: 5_000})
	feeBefore, _ := s.Ledger.Balance(feeKey.Address(), simledger.Asset{})
	rc, err := st.Settle(ctx, p)
	if err != nil {
		t.Fatalf("Settle: %v", err)
	}
	tx, err := s.Ledger.Transaction(rc.Hash)
	if err != nil || !tx.Successful || tx.Source != feeKey.Address() || rc.Ledger != tx.Ledger {
		t.Fatalf("ledger holds %+v, %v; receipt %+v", tx, err, rc)
	}
	if len(sent) != 1 || sent[0] != rc.Hash {
		t.Errorf("OnSubmit saw %v, want [%s]", sent, rc.Hash)
	}
	if got := heldTPT(t, s.Ledger, operator.Address()); got != 25_000_000 {
		t.Errorf("operator holds %d", got)
	}
	if feeAfter, _ := s.Ledger.Balance(feeKey.Address(), simledger.Asset{}); feeAfter >= feeBefore {
		t.Error("the fee account paid no fee")
	}
	if _, err := st.Settle(ctx, p); !errors.Is(err, ErrRejected) {
		t.Fatalf("settling the same authorization again: %v, want ErrRejected", err)
	}
	if got := heldTPT(t, s.Ledger, operator.Address()); got != 25_000_000 {
		t.Errorf("after the second settlement the operator holds %d", got)
	}
	if found, ok, err := st.Find(ctx, rc.Hash); !ok || err != nil || found.Hash != rc.Hash {
		t.Errorf("Find = %+v, %v, %v", found, ok, err)
	}
}

// TestRPCSettlesInParallel settles payments of several payers at once
// through one fee account: each lands once, the sequence numbers never
// collide.
func TestRPCSettlesInParallel(t *testing.T) {
	s, st := rpcNet(t, nil)
	payers := []sacTx{{amount: 25_000_000, ledgers: 5_000}, {from: stranger, amount: 30_000_000, ledgers: 5_000}, {amount: 35_000_000, ledgers: 5_000}}
	pays := make([]*Payment, len(payers))
	for i, tx := range payers {
		pays[i] = verifySAC(t, s.Ledger, tx)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(pays))
	for i, p := range pays {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = st.Settle(context.Background(), p) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := heldTPT(t, s.Ledger, operator.Address()); got != 90_000_000 {
		t.Errorf("operator holds %d, want 90000000", got)
	}
}

func TestRPCSettleRefusals(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*RPCConfig)
		tx   sacTx
		// before runs between verification and settlement.
		before func(t *testing.T, l *simledger.Ledger)
		want   *Kind
	}{
		{name: "no fee account", cfg: func(c *RPCConfig) { c.FeeAccount = nil }, tx: sacTx{amount: 25_000_000, ledgers: 5_000}, want: ErrExpectation},
		{name: "payer spent it meanwhile", tx: sacTx{amount: 500_000_000, ledgers: 5_000}, want: ErrRejected,
			before: func(t *testing.T, l *simledger.Ledger) {
				env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: accountSeq(t, l) + 1,
					Ops: spt.Ops(spt.Pay(operator.Address(), "TPT", issuer.Address(), "0.0000001"))})
				if _, _, err := l.Submit(env); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "authorization expired before it landed", tx: sacTx{amount: 25_000_000, ledgers: 1}, want: ErrRejected,
			before: func(t *testing.T, l *simledger.Ledger) {
				for n := l.Number(); l.Number() < n+3; {
					time.Sleep(20 * time.Millisecond)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, st := rpcNet(t, tc.cfg)
			p := verifySAC(t, s.Ledger, tc.tx)
			if tc.before != nil {
				tc.before(t, s.Ledger)
			}
			if _, err := st.Settle(context.Background(), p); !errors.Is(err, tc.want) {
				t.Fatalf("Settle: %v, want %s", err, tc.want.Code)
			}
			if got := heldTPT(t, s.Ledger, operator.Address()); got > 1 {
				t.Errorf("operator holds %d after a refusal", got)
			}
		})
	}
}

// TestRPCSettlesClassic sends a classic payment envelope as it is.
func TestRPCSettlesClassic(t *testing.T) {
	s, st := rpcNet(t, nil)
	tx := goodTx()
	tx.Sequence = accountSeq(t, s.Ledger) + 1
	tx.TimeBounds = spt.Until(time.Now().Add(5 * time.Minute))
	exp := expected()
	exp.ExpiresAt = time.Now().Add(10 * time.Minute)
	p, err := Verify(spt.MustEnvelope(t, tx), exp, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := st.Settle(context.Background(), p)
	if err != nil || rc.Hash != p.HashHex() {
		t.Fatalf("Settle = %+v, %v", rc, err)
	}
	if got := heldTPT(t, s.Ledger, operator.Address()); got != 25_000_000 {
		t.Errorf("operator holds %d", got)
	}
}
