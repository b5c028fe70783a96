package simledger

import (
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

var feeAcct = spt.Key("fee")

func sacLedger(t testing.TB) *Ledger {
	t.Helper()
	g := genesis()
	g.Accounts = append(g.Accounts, AccountSpec{Address: feeAcct.Address(), Balance: "100"})
	g.AssetContracts = []Asset{tpt}
	l, err := New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// transfer is one SAC payment as a wallet makes it: simulate, sign the
// auth entry, attach the Soroban data, sign the envelope.
type transfer struct {
	to         sac.Address
	amount     int64
	signer     *keypair.Full // signs the auth entry; payer when nil
	expiration uint32        // signature expiration; the next ledger + 10 when 0
	passphrase string        // auth entry network; the ledger's when empty
	tamper     func(call *xdr.InvokeContractArgs, data *xdr.SorobanTransactionData)
	auth       []xdr.SorobanAuthorizationEntry // reuse these instead of signing
}

func (tr transfer) build(t testing.TB, l *Ledger) (string, []xdr.SorobanAuthorizationEntry) {
	t.Helper()
	from, _ := sac.ParseAddress(payer.Address())
	call := sac.Transfer{Contract: l.ContractID(tpt), From: from, To: tr.to, Amount: tr.amount}.Args()
	s := seq(t, l, feeAcct) + 1
	unsigned := spt.MustEnvelope(t, spt.Tx{Source: feeAcct, Sequence: s, Ops: []txnbuild.Operation{spt.Invoke(call, nil, nil)}})
	sim, err := l.Simulate(unsigned)
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	auth := tr.auth
	if auth == nil {
		signer, exp, pass := tr.signer, tr.expiration, tr.passphrase
		if signer == nil {
			signer = payer
		}
		if exp == 0 {
			exp = l.Number() + 10
		}
		if pass == "" {
			pass = l.NetworkPassphrase()
		}
		for i := range sim.Auth {
			if err := sac.Sign(&sim.Auth[i], signer, exp, txenv.NetworkID(pass)); err != nil {
				t.Fatal(err)
			}
		}
		auth = sim.Auth
	}
	if tr.tamper != nil {
		tr.tamper(&call, &sim.Data)
	}
	env := spt.MustEnvelope(t, spt.Tx{Source: feeAcct, Sequence: s, Ops: []txnbuild.Operation{spt.Invoke(call, auth, &sim.Data)}})
	return env, auth
}

func TestSACTransfer(t *testing.T) {
	op, _ := sac.ParseAddress(operator.Address())
	muxed := op
	muxed.Muxed, muxed.ID = true, 42
	tests := []struct {
		name     string
		tr       transfer
		before   func(t *testing.T, l *Ledger) // runs between signing and submitting
		wantTx   string
		wantErr  error
		opTPT    int64 // the operator's TPT after
		included bool
	}{
		{name: "pays", tr: transfer{to: op, amount: 25_000_000}, wantTx: "tx_success", opTPT: 25_000_000, included: true},
		{name: "pays a muxed address", tr: transfer{to: muxed, amount: 1}, wantTx: "tx_success", opTPT: 1, included: true},
		{name: "another key signs", tr: transfer{to: op, amount: 1, signer: stranger}, wantTx: "tx_failed", wantErr: sac.ErrSignature, included: true},
		{name: "signed for another network", tr: transfer{to: op, amount: 1, passphrase: "Test SDF Network ; September 2015"}, wantTx: "tx_failed", wantErr: sac.ErrSignature, included: true},
		{name: "signature expired", tr: transfer{to: op, amount: 1, expiration: 2}, wantTx: "tx_failed", wantErr: ErrAuthExpired, included: true},
		{name: "amount changed after signing", wantTx: "tx_failed", wantErr: ErrAuthMissing, included: true,
			tr: transfer{to: op, amount: 1, tamper: func(c *xdr.InvokeContractArgs, _ *xdr.SorobanTransactionData) { c.Args[2] = sac.I128(2) }}},
		{name: "footprint lacks the payee's trustline", wantTx: "tx_failed", wantErr: ErrFootprint, included: true,
			tr: transfer{to: op, amount: 1, tamper: func(_ *xdr.InvokeContractArgs, d *xdr.SorobanTransactionData) {
				d.Resources.Footprint.ReadWrite = d.Resources.Footprint.ReadWrite[:1]
			}}},
		{name: "resource fee too low", wantTx: "tx_soroban_invalid", wantErr: ErrResourceFee,
			tr: transfer{to: op, amount: 1, tamper: func(_ *xdr.InvokeContractArgs, d *xdr.SorobanTransactionData) { d.ResourceFee = 10 }}},
		{name: "payer spent it meanwhile", tr: transfer{to: op, amount: 500_000_000}, wantTx: "tx_failed", wantErr: ErrBalance, included: true, opTPT: 1,
			before: func(t *testing.T, l *Ledger) {
				env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Ops: []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "0.0000001")}})
				if _, _, err := l.Submit(env); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := sacLedger(t)
			env, _ := tc.tr.build(t, l)
			if tc.before != nil {
				tc.before(t, l)
			}
			feeBefore, _ := l.Balance(feeAcct.Address(), Asset{})
			res, _, err := l.Submit(env)
			var rej *Rejection
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Submit: %v", err)
			case tc.wantErr != nil && (!errors.As(err, &rej) || !errors.Is(err, tc.wantErr) || rej.Codes.Tx != tc.wantTx || rej.Included != tc.included):
				t.Fatalf("Submit = %v, want %s with %v (included %v)", err, tc.wantTx, tc.wantErr, tc.included)
			}
			if got, _ := l.Balance(operator.Address(), tpt); got != tc.opTPT {
				t.Errorf("operator holds %d, want %d", got, tc.opTPT)
			}
			feeAfter, _ := l.Balance(feeAcct.Address(), Asset{})
			if !tc.included {
				if feeAfter != feeBefore {
					t.Errorf("a refused transaction cost the fee account %d", feeBefore-feeAfter)
				}
				return
			}
			if want := DefaultBaseFee + MinResourceFee(4); feeBefore-feeAfter != want {
				t.Errorf("fee account paid %d, want %d", feeBefore-feeAfter, want)
			}
			if !res.Successful {
				if len(res.Events) != 0 {
					t.Errorf("a failed transaction emitted %d events", len(res.Events))
				}
				return
			}
			if len(res.Events) != 1 || res.Events[0].Event.Amount != tc.tr.amount || res.Events[0].Event.To != op {
				t.Fatalf("events = %+v", res.Events)
			}
			if d := res.Events[0].Event.Dest; tc.tr.to.Muxed != (d != nil) || d != nil && d.ID != tc.tr.to.ID {
				t.Errorf("to_muxed_id = %+v, want %d", d, tc.tr.to.ID)
			}
		})
	}
}

func TestSACNonceNeverReused(t *testing.T) {
	l := sacLedger(t)
	op, _ := sac.ParseAddress(operator.Address())
	env, auth := transfer{to: op, amount: 1}.build(t, l)
	if _, _, err := l.Submit(env); err != nil {
		t.Fatal(err)
	}
	// The same signed entry in a new transaction (new sequence number, new hash).
	again, _ := transfer{to: op, amount: 1, auth: auth}.build(t, l)
	if _, _, err := l.Submit(again); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("replayed auth entry: %v, want ErrNonceUsed", err)
	}
	if got, _ := l.Balance(operator.Address(), tpt); got != 1 {
		t.Errorf("operator holds %d, want 1", got)
	}
}

func TestSACSimulate(t *testing.T) {
	l := sacLedger(t)
	p, _ := sac.ParseAddress(payer.Address())
	other := Asset{Code: "OTHER", Issuer: issuer.Address()}
	tests := []struct {
		name    string
		call    xdr.InvokeContractArgs
		want    int64
		wantErr error
	}{
		{name: "balance", call: sac.Call(l.ContractID(tpt), sac.FnBalance, p.ScVal()), want: 500_000_000},
		{name: "balance without trustline", call: sac.Call(l.ContractID(tpt), sac.FnBalance, sac.Account(keyOf(stranger)).ScVal()), wantErr: ErrTrustline},
		{name: "contract not deployed", call: sac.Call(l.ContractID(other), sac.FnBalance, p.ScVal()), wantErr: ErrNoContract},
		{name: "unknown function", call: sac.Call(l.ContractID(tpt), "approve", p.ScVal()), wantErr: ErrUnsupported},
		{name: "transfer too much", call: sac.Transfer{Contract: l.ContractID(tpt), From: p, To: sac.Account(keyOf(operator)), Amount: 500_000_001}.Args(), wantErr: ErrBalance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := spt.MustEnvelope(t, spt.Tx{Source: feeAcct, Sequence: seq(t, l, feeAcct) + 1, Ops: []txnbuild.Operation{spt.Invoke(tc.call, nil, nil)}})
			sim, err := l.Simulate(env)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Simulate: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got, _ := sac.Int64(sim.ReturnValue); got != tc.want {
				t.Errorf("balance = %d, want %d", got, tc.want)
			}
		})
	}
}

func keyOf(kp *keypair.Full) [32]byte {
	a, _ := sac.ParseAddress(kp.Address())
	return a.Key
}

// TestClassicPaymentEvents pins the CAP-67 events of classic payments: the
// muxed id of an M… destination, else the memo, travels as to_muxed_id.
func TestClassicPaymentEvents(t *testing.T) {
	opMuxed := sac.Address{Key: keyOf(operator), Muxed: true, ID: 7}
	tests := []struct {
		name string
		dest string
		memo txnbuild.Memo
		want *sac.DestinationID
	}{
		{name: "muxed destination", dest: opMuxed.String(), want: &sac.DestinationID{Kind: sac.DestID, ID: 7}},
		{name: "text memo", dest: operator.Address(), memo: txnbuild.MemoText("r-12"), want: &sac.DestinationID{Kind: sac.DestText, Text: "r-12"}},
		{name: "id memo", dest: operator.Address(), memo: txnbuild.MemoID(9), want: &sac.DestinationID{Kind: sac.DestID, ID: 9}},
		{name: "no memo", dest: operator.Address()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := sacLedger(t)
			env := spt.MustEnvelope(t, spt.Tx{Source: payer, Sequence: seq(t, l, payer) + 1, Memo: tc.memo,
				Ops: []txnbuild.Operation{spt.Pay(tc.dest, "TPT", issuer.Address(), "1")}})
			res, _, err := l.Submit(env)
			if err != nil {
				t.Fatal(err)
			}
			evs := l.Events(res.Ledger, 0)
			if len(evs) != 1 || evs[0].TxHash != res.Hash || evs[0].Event.To != sac.Account(keyOf(operator)) || evs[0].Event.Contract != l.ContractID(tpt) {
				t.Fatalf("events = %+v", evs)
			}
			got := evs[0].Event.Dest
			if (got == nil) != (tc.want == nil) || got != nil && (got.Kind != tc.want.Kind || got.ID != tc.want.ID || got.Text != tc.want.Text) {
				t.Errorf("to_muxed_id = %+v, want %+v", got, tc.want)
			}
			// The event survives its XDR form, as getEvents ships it.
			ce := evs[0].Event.ContractEvent()
			back, err := sac.ParseEvent([32]byte(*ce.ContractId), ce.Body.V0.Topics, ce.Body.V0.Data)
			if err != nil || back.Amount != 10_000_000 || back.Asset != "TPT:"+issuer.Address() {
				t.Errorf("ParseEvent = %+v, %v", back, err)
			}
		})
	}
}
