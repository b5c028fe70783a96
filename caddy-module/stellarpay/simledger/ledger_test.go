package simledger

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

var (
	payer, operator, issuer, stranger = spt.Payer, spt.Operator, spt.Issuer, spt.Stranger
	poor                              = spt.Key("poor")
	t0                                = time.Unix(1_800_000_000, 0)
	tpt                               = Asset{Code: "TPT", Issuer: issuer.Address()}
)

func genesis() Genesis {
	line := func(bal string) []TrustlineSpec { return []TrustlineSpec{{Asset: tpt, Balance: bal}} }
	return Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: operator.Address(), Balance: "10", Trustlines: line("0")},
		{Address: payer.Address(), Balance: "10", Trustlines: line("50")},
		{Address: poor.Address(), Balance: "10", Trustlines: []TrustlineSpec{{Asset: tpt, Balance: "1", Limit: "1"}}},
		{Address: stranger.Address(), Balance: "10"},
	}}
}

func newLedger(t *testing.T) *Ledger {
	t.Helper()
	l, err := New(genesis(), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func seq(t testing.TB, l *Ledger, kp interface{ Address() string }) int64 {
	t.Helper()
	a, err := l.Account(kp.Address())
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}

func TestSubmit(t *testing.T) {
	pay := func(dest, amt string) []txnbuild.Operation {
		return []txnbuild.Operation{spt.Pay(dest, "TPT", issuer.Address(), amt)}
	}
	tests := []struct {
		name     string
		tx       func(l *Ledger) spt.Tx
		wantTx   string
		wantOp   string
		included bool
		payerTPT int64 // payer's TPT after, in stroops
	}{
		{name: "payment", wantTx: "tx_success", included: true, payerTPT: 475_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "2.5")}
			}},
		{name: "bad seq", wantTx: "tx_bad_seq", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 2, Ops: pay(operator.Address(), "2.5")}
			}},
		{name: "underfunded", wantTx: "tx_failed", wantOp: "op_underfunded", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "50.0000001")}
			}},
		{name: "no trustline", wantTx: "tx_failed", wantOp: "op_no_trust", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(stranger.Address(), "1")}
			}},
		{name: "source has no trustline", wantTx: "tx_failed", wantOp: "op_src_no_trust", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: stranger, Sequence: seq(t, l, stranger) + 1, Ops: pay(operator.Address(), "1")}
			}},
		{name: "line full", wantTx: "tx_failed", wantOp: "op_line_full", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(poor.Address(), "1")}
			}},
		{name: "no destination", wantTx: "tx_failed", wantOp: "op_no_destination", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(spt.Key("nobody").Address(), "1")}
			}},
		{name: "bad signature", wantTx: "tx_bad_auth", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), Passphrase: "other network"}
			}},
		{name: "extra signature", wantTx: "tx_bad_auth_extra", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), Signers: []*keypair.Full{payer, stranger}}
			}},
		{name: "expired", wantTx: "tx_too_late", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), TimeBounds: txnbuild.NewTimebounds(0, t0.Unix()-1)}
			}},
		{name: "too early", wantTx: "tx_too_early", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), TimeBounds: txnbuild.NewTimebounds(t0.Unix()+60, 0)}
			}},
		{name: "insufficient fee", wantTx: "tx_insufficient_fee", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), BaseFee: 99}
			}},
		{name: "no source account", wantTx: "tx_no_source_account", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: spt.Key("nobody"), Sequence: 1, Ops: pay(operator.Address(), "1")}
			}},
		{name: "fee bump", wantTx: "tx_not_supported", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: pay(operator.Address(), "1"), FeeBump: true}
			}},
		{name: "op source did not sign", wantTx: "tx_failed", wantOp: "op_bad_auth", payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				op := spt.Pay(operator.Address(), "TPT", issuer.Address(), "1")
				op.SourceAccount = poor.Address()
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: []txnbuild.Operation{op}}
			}},
		{name: "second op fails, first rolled back", wantTx: "tx_failed", wantOp: "op_underfunded", included: true, payerTPT: 500_000_000,
			tx: func(l *Ledger) spt.Tx {
				return spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: append(pay(operator.Address(), "10"), pay(operator.Address(), "45")...)}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			before := seq(t, l, payer)
			xlmBefore, _ := l.Balance(payer.Address(), Asset{})
			res, dup, err := l.Submit(spt.MustEnvelope(t, tc.tx(l)))
			var rej *Rejection
			switch {
			case tc.wantTx == "tx_success":
				if err != nil || res == nil || !res.Successful || dup {
					t.Fatalf("Submit = %+v, %v, %v", res, dup, err)
				}
				if got, _ := l.Balance(operator.Address(), tpt); got != 25_000_000 {
					t.Fatalf("operator holds %d", got)
				}
			case !errors.As(err, &rej) || !errors.Is(err, ErrRejected):
				t.Fatalf("Submit error = %v, want a rejection %s", err, tc.wantTx)
			case rej.Codes.Tx != tc.wantTx || (tc.wantOp != "" && !slices.Contains(rej.Codes.Ops, tc.wantOp)):
				t.Fatalf("codes = %+v, want %s %s", rej.Codes, tc.wantTx, tc.wantOp)
			case rej.Included != tc.included || (res != nil) != tc.included:
				t.Fatalf("included = %v (result %v), want %v", rej.Included, res, tc.included)
			}
			if got, _ := l.Balance(payer.Address(), tpt); got != tc.payerTPT {
				t.Fatalf("payer holds %d TPT stroops, want %d", got, tc.payerTPT)
			}
			xlmAfter, _ := l.Balance(payer.Address(), Asset{})
			wantSeq, wantFee := before, int64(0)
			if tc.included && tc.tx(l).Source == payer {
				wantSeq, wantFee = before+1, 100*int64(len(tc.tx(l).Ops))
			}
			if after := seq(t, l, payer); after != wantSeq || xlmBefore-xlmAfter != wantFee {
				t.Fatalf("payer seq %d→%d fee %d; want seq %d fee %d", before, after, xlmBefore-xlmAfter, wantSeq, wantFee)
			}
		})
	}
}

// TestSubmitOnce submits one envelope from many goroutines: it is applied
// once, every other submission is reported as a duplicate.
func TestSubmitOnce(t *testing.T) {
	l := newLedger(t)
	env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1,
		Ops: []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "1")}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 50 {
		wg.Go(func() {
			res, dup, err := l.Submit(env)
			if err != nil || !res.Successful {
				t.Errorf("Submit: %v", err)
			}
			if !dup {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got, _ := l.Balance(operator.Address(), tpt); fresh != 1 || got != 10_000_000 {
		t.Fatalf("applied %d times, operator holds %d", fresh, got)
	}
	res, _, _ := l.Submit(env)
	if got, err := l.Transaction(res.Hash); err != nil || got.Hash != res.Hash || got.Ledger != res.Ledger {
		t.Fatalf("Transaction(%s) = %+v, %v", res.Hash, got, err)
	}
}

func TestCreateAccountAndTrust(t *testing.T) {
	l := newLedger(t)
	newbie := spt.Key("newbie")
	env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: []txnbuild.Operation{
		&txnbuild.CreateAccount{Destination: newbie.Address(), Amount: "3"},
	}})
	if _, _, err := l.Submit(env); err != nil {
		t.Fatal(err)
	}
	env = spt.MustEnvelope(t, spt.Tx{Source: newbie, Sequence: seq(t, l, newbie) + 1, Ops: []txnbuild.Operation{
		&txnbuild.ChangeTrust{Line: txnbuild.CreditAsset{Code: "TPT", Issuer: issuer.Address()}.MustToChangeTrustAsset(), Limit: "1000"},
	}})
	if _, _, err := l.Submit(env); err != nil {
		t.Fatal(err)
	}
	env = spt.MustEnvelope(t, spt.Tx{Source: issuer, Sequence: seq(t, l, issuer) + 1, Ops: []txnbuild.Operation{
		spt.Pay(newbie.Address(), "TPT", issuer.Address(), "7"),
	}})
	if _, _, err := l.Submit(env); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Balance(newbie.Address(), tpt); err != nil || got != 70_000_000 {
		t.Fatalf("newbie holds %d, %v", got, err)
	}
}

func TestGenesisErrors(t *testing.T) {
	for name, g := range map[string]Genesis{
		"no passphrase":  {Accounts: genesis().Accounts},
		"bad address":    {NetworkPassphrase: "x", Accounts: []AccountSpec{{Address: "GNOPE", Balance: "10"}}},
		"below reserve":  {NetworkPassphrase: "x", Accounts: []AccountSpec{{Address: payer.Address(), Balance: "0.5"}}},
		"bad amount":     {NetworkPassphrase: "x", Accounts: []AccountSpec{{Address: payer.Address(), Balance: "1.000000001"}}},
		"listed twice":   {NetworkPassphrase: "x", Accounts: []AccountSpec{{Address: payer.Address(), Balance: "10"}, {Address: payer.Address(), Balance: "10"}}},
		"over the limit": {NetworkPassphrase: "x", Accounts: []AccountSpec{{Address: payer.Address(), Balance: "10", Trustlines: []TrustlineSpec{{Asset: tpt, Balance: "2", Limit: "1"}}}}},
	} {
		if _, err := New(g, nil); !errors.Is(err, ErrGenesis) {
			t.Errorf("%s: New = %v, want ErrGenesis", name, err)
		}
	}
}
