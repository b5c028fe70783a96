package txenv

import (
	"encoding/base64"
	"reflect"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

// FuzzFastDecode checks the fast decoder against the SDK's generic one:
// whatever the fast one accepts, the generic one decodes to the same value.
func FuzzFastDecode(f *testing.F) {
	muxed, err := xdr.MuxedAccountFromAccountId(spt.Operator.Address(), 77)
	if err != nil {
		f.Fatal(err)
	}
	seeds := []spt.Tx{
		{Source: spt.Payer, Sequence: 5, Memo: txnbuild.MemoHash{1}, TimeBounds: txnbuild.NewTimebounds(1, 2),
			Ops: []txnbuild.Operation{spt.Pay(spt.Operator.Address(), "TPT", spt.Issuer.Address(), "2.5")}},
		{Source: spt.Payer, Sequence: 5, Signers: []*keypair.Full{spt.Payer, spt.Stranger},
			Ops: []txnbuild.Operation{&txnbuild.Payment{Destination: spt.Operator.Address(), Amount: "1",
				Asset: txnbuild.CreditAsset{Code: "TPTLONG", Issuer: spt.Issuer.Address()}, SourceAccount: spt.Stranger.Address()}}},
		{Source: spt.Payer, Sequence: 5, Ops: []txnbuild.Operation{spt.Pay(muxed.Address(), "", "", "1")}},
	}
	for _, tx := range seeds {
		b64 := spt.MustEnvelope(f, tx)
		raw, _ := base64.StdEncoding.DecodeString(b64)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast xdr.TransactionEnvelope
		if !fastDecode(raw, &fast) {
			return
		}
		var slow xdr.TransactionEnvelope
		if err := xdr.SafeUnmarshal(raw, &slow); err != nil {
			t.Fatalf("fast decoder accepted what the SDK refuses: %v", err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decoders differ:\nfast %#v\nslow %#v", fast.V1, slow.V1)
		}
	})
}

// TestFastDecodeTaken checks that the seeds do take the fast path.
func TestFastDecodeTaken(t *testing.T) {
	b64 := spt.MustEnvelope(t, spt.Tx{Source: spt.Payer, Sequence: 5, Memo: txnbuild.MemoHash{1}, TimeBounds: txnbuild.NewTimebounds(1, 2),
		Ops: []txnbuild.Operation{spt.Pay(spt.Operator.Address(), "TPT", spt.Issuer.Address(), "2.5")}})
	raw, _ := base64.StdEncoding.DecodeString(b64)
	var env xdr.TransactionEnvelope
	if !fastDecode(raw, &env) {
		t.Fatal("a plain payment did not take the fast path")
	}
}
