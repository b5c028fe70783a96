package stellarpay

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

var (
	payer, operator, issuer, stranger = spt.Payer, spt.Operator, spt.Issuer, spt.Stranger
	testNow                           = time.Unix(1_800_000_000, 0)
	testID                            = payreq.ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
)

func expected() *payreq.Request {
	return &payreq.Request{
		ID: testID, Destination: operator.Address(), AssetCode: "TPT", AssetIssuer: issuer.Address(),
		Amount: 25_000_000, NetworkPassphrase: spt.Passphrase, ExpiresAt: testNow.Add(10 * time.Minute),
	}
}

// goodTx is a valid payment of 2.5 TPT for expected().
func goodTx() spt.Tx {
	return spt.Tx{
		Source: payer, Sequence: 42,
		Ops:        []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "2.5")},
		Memo:       txnbuild.MemoHash(testID),
		TimeBounds: txnbuild.NewTimebounds(0, testNow.Add(10*time.Minute).Unix()),
	}
}

func TestVerify(t *testing.T) {
	tamper := func(b64 string) string {
		var env xdr.TransactionEnvelope
		if err := xdr.SafeUnmarshalBase64(b64, &env); err != nil {
			t.Fatal(err)
		}
		env.V1.Signatures[0].Signature[5] ^= 0x40
		s, err := xdr.MarshalBase64(env)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	muxed := xdr.MustMuxedAddress(operator.Address())
	muxedDest, _ := xdr.MuxedAccountFromAccountId(muxed.Address(), 77)
	tests := []struct {
		name   string
		edit   func(*spt.Tx)
		env    func(string) string // edits the encoded envelope
		exp    func(*payreq.Request)
		now    time.Time
		want   error
		amount payreq.Amount
	}{
		{name: "valid", amount: 25_000_000},
		{name: "more than requested", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Amount = "3" }, amount: 30_000_000},
		{name: "muxed destination of ours", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Destination = muxedDest.Address() }, amount: 25_000_000},
		{name: "signed by op source too", edit: func(tx *spt.Tx) {
			tx.Ops[0].(*txnbuild.Payment).SourceAccount = stranger.Address()
			tx.Signers = append(tx.Signers, payer, stranger)
		}, amount: 25_000_000},
		{name: "wrong network", edit: func(tx *spt.Tx) { tx.Passphrase = network.TestNetworkPassphrase }, want: ErrBadSignature},
		{name: "unknown network", edit: func(tx *spt.Tx) { tx.Passphrase = "some other net" }, want: ErrBadSignature},
		{name: "wrong destination", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Destination = stranger.Address() }, want: ErrDestination},
		{name: "wrong asset code", edit: func(tx *spt.Tx) { tx.Ops[0] = spt.Pay(operator.Address(), "TPX", issuer.Address(), "2.5") }, want: ErrAssetCode},
		{name: "long asset code", edit: func(tx *spt.Tx) { tx.Ops[0] = spt.Pay(operator.Address(), "TPTTPT", issuer.Address(), "2.5") }, want: ErrAssetCode},
		{name: "native asset", edit: func(tx *spt.Tx) { tx.Ops[0] = spt.Pay(operator.Address(), "", "", "2.5") }, want: ErrAssetCode},
		{name: "wrong issuer", edit: func(tx *spt.Tx) { tx.Ops[0] = spt.Pay(operator.Address(), "TPT", stranger.Address(), "2.5") }, want: ErrAssetIssuer},
		{name: "amount too low", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Amount = "2.4999999" }, want: ErrAmount},
		{name: "wrong memo", edit: func(tx *spt.Tx) { tx.Memo = txnbuild.MemoHash{9} }, want: ErrMemo},
		{name: "text memo", edit: func(tx *spt.Tx) { tx.Memo = txnbuild.MemoText("hi") }, want: ErrMemo},
		{name: "no memo", edit: func(tx *spt.Tx) { tx.Memo = nil }, want: ErrMemo},
		{name: "request expired", now: testNow.Add(11 * time.Minute), want: ErrExpired},
		// What wallets send: accepted, settled no later than the expiry.
		{name: "max_time after expiry", edit: func(tx *spt.Tx) { tx.TimeBounds = txnbuild.NewTimebounds(0, testNow.Add(11*time.Minute).Unix()) }, amount: 25_000_000},
		{name: "no max_time (TimeoutInfinite)", edit: func(tx *spt.Tx) { tx.TimeBounds = txnbuild.TimeBounds{} }, amount: 25_000_000},
		{name: "strict-receive path payment", edit: func(tx *spt.Tx) { tx.Ops[0] = pathPay(operator.Address(), "TPT", issuer.Address(), "2.5") }, amount: 25_000_000},
		{name: "strict-receive path payment, more", edit: func(tx *spt.Tx) { tx.Ops[0] = pathPay(operator.Address(), "TPT", issuer.Address(), "3") }, amount: 30_000_000},
		{name: "strict-receive path payment, too little", edit: func(tx *spt.Tx) { tx.Ops[0] = pathPay(operator.Address(), "TPT", issuer.Address(), "2.4999999") }, want: ErrAmount},
		{name: "strict-receive path payment, other asset", edit: func(tx *spt.Tx) { tx.Ops[0] = pathPay(operator.Address(), "TPX", issuer.Address(), "2.5") }, want: ErrAssetCode},
		{name: "strict-receive path payment, other payee", edit: func(tx *spt.Tx) { tx.Ops[0] = pathPay(stranger.Address(), "TPT", issuer.Address(), "2.5") }, want: ErrDestination},
		{name: "strict-send path payment", edit: func(tx *spt.Tx) {
			tx.Ops[0] = &txnbuild.PathPaymentStrictSend{SendAsset: txnbuild.NativeAsset{}, SendAmount: "100",
				Destination: operator.Address(), DestAsset: txnbuild.CreditAsset{Code: "TPT", Issuer: issuer.Address()}, DestMin: "2.5"}
		}, want: ErrNotPayment},
		{name: "transaction expired", edit: func(tx *spt.Tx) { tx.TimeBounds = txnbuild.NewTimebounds(0, testNow.Add(-time.Second).Unix()) }, want: ErrTimeBounds},
		{name: "not valid yet", edit: func(tx *spt.Tx) {
			tx.TimeBounds = txnbuild.NewTimebounds(testNow.Add(time.Minute).Unix(), testNow.Add(5*time.Minute).Unix())
		}, want: ErrTimeBounds},
		{name: "tampered signature", env: tamper, want: ErrBadSignature},
		{name: "wrong signer", edit: func(tx *spt.Tx) { tx.Signers = []*keypair.Full{stranger} }, want: ErrBadSignature},
		{name: "op source did not sign", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).SourceAccount = stranger.Address() }, want: ErrBadSignature},
		{name: "two operations", edit: func(tx *spt.Tx) {
			tx.Ops = append(tx.Ops, spt.Pay(operator.Address(), "TPT", issuer.Address(), "1"))
		}, want: ErrOperationCount},
		{name: "not a payment", edit: func(tx *spt.Tx) {
			tx.Ops = []txnbuild.Operation{&txnbuild.CreateAccount{Destination: operator.Address(), Amount: "2.5"}}
		}, want: ErrNotPayment},
		{name: "fee-bump wrapper", edit: func(tx *spt.Tx) { tx.FeeBump = true }, want: ErrNotV1},
		{name: "garbage XDR", env: func(string) string { return base64.StdEncoding.EncodeToString([]byte("not an envelope at all")) }, want: ErrMalformed},
		{name: "not base64", env: func(string) string { return "%%%" }, want: ErrMalformed},
		{name: "trailing bytes", env: func(s string) string {
			raw, _ := base64.StdEncoding.DecodeString(s)
			return base64.StdEncoding.EncodeToString(append(raw, 0, 0, 0, 0))
		}, want: ErrMalformed},
		{name: "empty", env: func(string) string { return "" }, want: ErrMalformed},
		{name: "oversized body", env: func(s string) string { return s + strings.Repeat("A", MaxEnvelopeChars) }, want: ErrTooLarge},
		{name: "bad expected amount", exp: func(e *payreq.Request) { e.Amount = 0 }, want: ErrExpectation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := goodTx()
			if tc.edit != nil {
				tc.edit(&tx)
			}
			b64 := spt.MustEnvelope(t, tx)
			if tc.env != nil {
				b64 = tc.env(b64)
			}
			exp := expected()
			if tc.exp != nil {
				tc.exp(exp)
			}
			now := testNow
			if !tc.now.IsZero() {
				now = tc.now
			}
			p, err := Verify(b64, exp, now)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Verify = %v, want %v", err, tc.want)
				}
				body, _ := json.Marshal(AsError(err))
				if !strings.Contains(string(body), `"error":"`+tc.want.(*Kind).Code+`"`) {
					t.Fatalf("JSON %s lacks code %s", body, tc.want.(*Kind).Code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Amount != tc.amount || p.Source() != payer.Address() || p.ID != testID || p.Envelope != b64 {
				t.Fatalf("payment = %+v", p)
			}
			if !p.MaxTime.Equal(testNow.Add(10 * time.Minute)) {
				t.Fatalf("MaxTime = %v", p.MaxTime)
			}
		})
	}
}

// pathPay is a strict-receive path payment from XLM delivering amount of
// code to dest, as a wallet paying from another asset sends it.
func pathPay(dest, code, issuer, amount string) *txnbuild.PathPaymentStrictReceive {
	return &txnbuild.PathPaymentStrictReceive{SendAsset: txnbuild.NativeAsset{}, SendMax: "1000",
		Destination: dest, DestAsset: txnbuild.CreditAsset{Code: code, Issuer: issuer}, DestAmount: amount}
}

// TestVerifyHashMatchesSDK checks the raw-bytes hash against txnbuild's,
// which re-encodes the transaction.
func TestVerifyHashMatchesSDK(t *testing.T) {
	b64 := spt.MustEnvelope(t, goodTx())
	p, err := Verify(b64, expected(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	gtx, err := txnbuild.TransactionFromXDR(b64)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := gtx.Transaction()
	want, err := tx.HashHex(spt.Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	if p.HashHex() != want {
		t.Fatalf("hash %s, SDK says %s", p.HashHex(), want)
	}
}

func TestRequestID(t *testing.T) {
	if id, err := RequestID(spt.MustEnvelope(t, goodTx())); err != nil || id != testID {
		t.Fatalf("RequestID = %x, %v", id, err)
	}
	noMemo := goodTx()
	noMemo.Memo = nil
	feeBump := goodTx()
	feeBump.FeeBump = true
	for b64, want := range map[string]error{
		spt.MustEnvelope(t, noMemo):  ErrMemo,
		spt.MustEnvelope(t, feeBump): ErrNotV1,
		"***":                        ErrMalformed,
		strings.Repeat("A", 5000):    ErrTooLarge,
	} {
		if _, err := RequestID(b64); !errors.Is(err, want) {
			t.Errorf("RequestID: %v, want %v", err, want)
		}
	}
}
