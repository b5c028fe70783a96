package payreq

import (
	"bytes"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/xdr"
)

// TestLedgerAddress: a request's number is its id's first 8 bytes, its
// muxed destination is the payee with that id, and its text memo reads
// back as the number; NumberRange brackets exactly the ids of a number.
func TestLedgerAddress(t *testing.T) {
	id := ID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x42}
	if n := id.Number(); n != 0x0123456789abcdef {
		t.Fatalf("Number = %x", n)
	}
	payee := keypair.MustRandom().Address()
	var m xdr.MuxedAccount
	if err := m.SetAddress(MuxedAddress(payee, id.Number())); err != nil || m.Med25519 == nil || uint64(m.Med25519.Id) != id.Number() {
		t.Fatalf("muxed address %q: %v", MuxedAddress(payee, id.Number()), err)
	}
	if base := m.ToAccountId(); base.Address() != payee {
		t.Fatalf("muxed address of %s has base %s", payee, base.Address())
	}
	if MuxedAddress("GNOTANACCOUNT", 1) != "" {
		t.Fatal("a muxed address of no account")
	}
	lo, hi := NumberRange(id.Number())
	if bytes.Compare(lo[:], id[:]) > 0 || bytes.Compare(id[:], hi[:]) > 0 || lo.Number() != id.Number() || hi.Number() != id.Number() {
		t.Fatalf("range %x..%x does not bracket %x", lo, hi, id)
	}
	r := New(id, Terms{Destination: payee, AssetCode: "TPT", AssetIssuer: payee, Amount: 1, NetworkPassphrase: "n", Bytes: 1, TTL: 1}, "", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if r.Muxed != MuxedAddress(payee, id.Number()) || r.Memo != "tp0123456789abcdef" {
		t.Fatalf("New: muxed %q, memo %q", r.Muxed, r.Memo)
	}
	for memo, want := range map[string]uint64{"tp0123456789abcdef": 0x0123456789abcdef, " TP0123456789ABCDEF ": 0x0123456789abcdef,
		MemoText(0): 0, MemoText(1<<64 - 1): 1<<64 - 1} {
		if n, ok := ParseMemoText(memo); !ok || n != want {
			t.Errorf("ParseMemoText(%q) = %x, %v; want %x", memo, n, ok, want)
		}
	}
	for _, bad := range []string{"", "tp", "tp0123", "xx0123456789abcdef", "tp0123456789abcdeg", "tp0123456789abcdef0", "tp+123456789abcdef"} {
		if _, ok := ParseMemoText(bad); ok {
			t.Errorf("ParseMemoText(%q) accepted", bad)
		}
	}
}
