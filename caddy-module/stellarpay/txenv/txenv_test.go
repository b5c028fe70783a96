package txenv_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
)

// TestHashAndSignatures compares the raw-bytes hash with the SDK's (which
// re-encodes) for envelopes with one to three signatures, and checks
// SignedBy for signers and non-signers.
func TestHashAndSignatures(t *testing.T) {
	a, b, c := spt.Key("a"), spt.Key("b"), spt.Key("c")
	for n, signers := range [][]*keypair.Full{{a}, {a, b}, {a, b, c}} {
		b64 := spt.MustEnvelope(t, spt.Tx{Source: a, Sequence: 9, Signers: signers, Memo: txnbuild.MemoText("x"),
			Ops: []txnbuild.Operation{spt.Pay(b.Address(), "", "", "1")}})
		env, err := txenv.Decode(b64, 4096)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := env.Hash(txenv.NetworkID(spt.Passphrase))
		if err != nil {
			t.Fatal(err)
		}
		gtx, _ := txnbuild.TransactionFromXDR(b64)
		tx, _ := gtx.Transaction()
		want, _ := tx.HashHex(spt.Passphrase)
		if hex.EncodeToString(hash[:]) != want {
			t.Fatalf("%d signers: hash %x, SDK %s", n+1, hash, want)
		}
		for i, kp := range []*keypair.Full{a, b, c} {
			key, _ := txenv.AccountKey(tx.ToXDR().V1.Tx.SourceAccount)
			if i > 0 {
				copy(key[:], mustRaw(t, kp.Address()))
			}
			if got := env.SignedBy(hash, key); got != (i <= n) {
				t.Fatalf("%d signers: SignedBy(%s) = %v", n+1, kp.Address(), got)
			}
		}
	}
}

func mustRaw(t *testing.T, addr string) []byte {
	raw, err := strkey.Decode(strkey.VersionByteAccountID, addr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestDecodeErrors(t *testing.T) {
	good := spt.MustEnvelope(t, spt.Tx{Source: spt.Key("a"), Sequence: 1, Ops: []txnbuild.Operation{spt.Pay(spt.Key("b").Address(), "", "", "1")}})
	raw, _ := base64.StdEncoding.DecodeString(good)
	tests := map[string]struct {
		in   string
		want error
	}{
		"too large":      {good, txenv.ErrTooLarge},
		"not base64":     {"!!!!", txenv.ErrMalformed},
		"trailing bytes": {base64.StdEncoding.EncodeToString(append(raw, 0, 0, 0, 0)), txenv.ErrMalformed},
		"truncated":      {base64.StdEncoding.EncodeToString(raw[:len(raw)-8]), txenv.ErrMalformed},
		"garbage":        {base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xff", 64))), txenv.ErrMalformed},
	}
	for name, tc := range tests {
		max := 4096
		if name == "too large" {
			max = len(good) - 1
		}
		if _, err := txenv.Decode(tc.in, max); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	fb := spt.MustEnvelope(t, spt.Tx{Source: spt.Key("a"), Sequence: 1, FeeBump: true, Ops: []txnbuild.Operation{spt.Pay(spt.Key("b").Address(), "", "", "1")}})
	env, err := txenv.Decode(fb, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Hash([32]byte{}); !errors.Is(err, txenv.ErrNotV1) {
		t.Fatalf("fee bump: %v", err)
	}
}
