package stellarpay

import (
	"errors"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

func TestVerifySAC(t *testing.T) {
	l, err := simledger.New(sacGenesis(spt.Passphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	lt := LedgerTime{Ledger: l.Number(), Now: testNow, Close: 5 * time.Second}
	other := simledger.Asset{Code: "TPT", Issuer: stranger.Address()}
	tests := []struct {
		name    string
		tx      sacTx
		env     func() string // overrides tx
		lt      func(LedgerTime) LedgerTime
		want    *Kind
		wantAmt int64
	}{
		{name: "valid", tx: sacTx{amount: 25_000_000}, wantAmt: 25_000_000},
		{name: "more than asked", tx: sacTx{amount: 30_000_000}, wantAmt: 30_000_000},
		{name: "to the payee's muxed address", tx: sacTx{amount: 25_000_000, muxedID: 9}, wantAmt: 25_000_000},
		{name: "less than asked", tx: sacTx{amount: 24_999_999}, want: ErrAmount},
		{name: "to someone else", tx: sacTx{amount: 25_000_000, to: stranger}, want: ErrDestination},
		{name: "another asset's contract", want: ErrContract, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			id := l.ContractID(other)
			callArgs(op).ContractAddress = sac.Address{Contract: true, Key: id}.ScAddress()
		}}},
		{name: "another function", want: ErrNotPayment, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			callArgs(op).FunctionName = "burn"
		}}},
		{name: "signed by another key", tx: sacTx{amount: 25_000_000, signer: stranger}, want: ErrBadSignature},
		{name: "signed for another network", tx: sacTx{amount: 25_000_000, passphrase: network.TestNetworkPassphrase}, want: ErrBadSignature},
		{name: "authorization already expired", tx: sacTx{amount: 25_000_000}, want: ErrTimeBounds,
			lt: func(lt LedgerTime) LedgerTime { lt.Ledger += 20; return lt }},
		{name: "authorization outlives the request", tx: sacTx{amount: 25_000_000, ledgers: 500}, want: ErrTimeBounds},
		// 598 s left: the standards' ceil(598 / 5) = 120 ledgers, the last
		// closing about 2 s after the expiry, is what a client signs.
		{name: "authorization to the standards' bound, rounded up", tx: sacTx{amount: 25_000_000, ledgers: 120}, wantAmt: 25_000_000,
			lt: func(lt LedgerTime) LedgerTime { lt.Now = lt.Now.Add(2 * time.Second); return lt }},
		{name: "authorization within the tolerance past the bound", tx: sacTx{amount: 25_000_000, ledgers: 122}, wantAmt: 25_000_000,
			lt: func(lt LedgerTime) LedgerTime { lt.Now = lt.Now.Add(2 * time.Second); return lt }},
		{name: "authorization past the bound and its tolerance", tx: sacTx{amount: 25_000_000, ledgers: 123}, want: ErrTimeBounds,
			lt: func(lt LedgerTime) LedgerTime { lt.Now = lt.Now.Add(2 * time.Second); return lt }},
		{name: "request expired", tx: sacTx{amount: 25_000_000}, want: ErrExpired,
			lt: func(lt LedgerTime) LedgerTime { lt.Now = lt.Now.Add(time.Hour); return lt }},
		{name: "no authorization", want: ErrAuthorization, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) { op.Auth = nil }}},
		{name: "two authorizations", want: ErrAuthorization, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			op.Auth = append(op.Auth, op.Auth[0])
		}}},
		{name: "source-account credential", want: ErrAuthorization, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			op.Auth[0].Credentials = xdr.SorobanCredentials{Type: xdr.SorobanCredentialsTypeSorobanCredentialsSourceAccount}
		}}},
		{name: "amount raised after signing", want: ErrAuthorization, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			callArgs(op).Args[2] = sac.I128(90_000_000)
		}}},
		{name: "sub-invocation", want: ErrAuthorization, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			r := &op.Auth[0].RootInvocation
			r.SubInvocations = append(r.SubInvocations, *r)
		}}},
		{name: "resource fee on our account too high", want: ErrResourceFee, tx: sacTx{amount: 25_000_000, edit: func(op *txnbuild.InvokeHostFunction) {
			op.Ext.SorobanData.ResourceFee = MaxSACResourceFee + 1
		}}},
		{name: "a classic payment", want: ErrNotPayment, env: func() string { return spt.MustEnvelope(t, goodTx()) }},
		{name: "two operations", want: ErrOperationCount, env: func() string {
			tx := goodTx()
			tx.Ops = append(tx.Ops, tx.Ops[0])
			return spt.MustEnvelope(t, tx)
		}},
		{name: "not XDR", want: ErrMalformed, env: func() string { return "AAAA" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := ""
			if tc.env != nil {
				env = tc.env()
			} else {
				env = tc.tx.envelope(t, l)
			}
			at := lt
			if tc.lt != nil {
				at = tc.lt(lt)
			}
			p, err := VerifySAC(env, expected(), at)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("VerifySAC: %v, want %s", err, tc.want.Code)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifySAC: %v", err)
			}
			if int64(p.Amount) != tc.wantAmt || p.Source() != payer.Address() || p.ID != testID {
				t.Errorf("payment = %+v", p)
			}
		})
	}
}

// TestVerifySACReplayKey checks that the replay key follows the nonce: two
// authorizations get two keys, one authorization in two envelopes one.
func TestVerifySACReplayKey(t *testing.T) {
	l, err := simledger.New(sacGenesis(spt.Passphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	lt := LedgerTime{Ledger: l.Number(), Now: testNow}
	a, err1 := VerifySAC(sacTx{amount: 25_000_000}.envelope(t, l), expected(), lt)
	b, err2 := VerifySAC(sacTx{amount: 25_000_000}.envelope(t, l), expected(), lt)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if a.Hash == b.Hash {
		t.Error("two authorizations (two nonces) share a replay key")
	}
	var env xdr.TransactionEnvelope
	_ = xdr.SafeUnmarshalBase64(a.Envelope, &env)
	env.V1.Tx.SeqNum++ // another envelope around the same authorization
	again, _ := xdr.MarshalBase64(env)
	c, err := VerifySAC(again, expected(), lt)
	if err != nil || c.Hash != a.Hash {
		t.Errorf("the same authorization re-wrapped: %v, key equal %v", err, err == nil && c.Hash == a.Hash)
	}
}
