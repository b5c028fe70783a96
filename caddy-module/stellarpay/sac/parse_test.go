package sac

import (
	"errors"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/xdr"
)

func TestParseTransferRefusals(t *testing.T) {
	c := [32]byte{7}
	from, to := Account([32]byte{1}), Account([32]byte{2})
	muxedFrom := from
	muxedFrom.Muxed, muxedFrom.ID = true, 3
	sym := xdr.ScSymbol("x")
	tests := []struct {
		name string
		call xdr.InvokeContractArgs
		want error
	}{
		{"valid", Transfer{Contract: c, From: from, To: to, Amount: 5}.Args(), nil},
		{"another function", Call(c, "approve", from.ScVal(), to.ScVal(), I128(5)), ErrFunction},
		{"invoked address is an account", xdr.InvokeContractArgs{ContractAddress: from.ScAddress(), FunctionName: FnTransfer}, ErrFunction},
		{"two arguments", Call(c, FnTransfer, from.ScVal(), to.ScVal()), ErrArgs},
		{"from is a symbol", Call(c, FnTransfer, xdr.ScVal{Type: xdr.ScValTypeScvSymbol, Sym: &sym}, to.ScVal(), I128(5)), ErrArgs},
		{"muxed payer", Call(c, FnTransfer, muxedFrom.ScVal(), to.ScVal(), I128(5)), ErrArgs},
		{"negative amount", Call(c, FnTransfer, from.ScVal(), to.ScVal(), I128(-1)), ErrAmount},
		{"amount not i128", Call(c, FnTransfer, from.ScVal(), to.ScVal(), from.ScVal()), ErrAmount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTransfer(&tc.call)
			if !errors.Is(err, tc.want) || (err == nil && tr.Amount != 5) {
				t.Fatalf("ParseTransfer = %+v, %v; want %v", tr, err, tc.want)
			}
		})
	}
}

func TestCheckSignatureRefusals(t *testing.T) {
	kp := keypair.MustRandom()
	other := keypair.MustRandom()
	call := Transfer{Contract: [32]byte{7}, From: Account([32]byte{1}), To: Account([32]byte{2}), Amount: 5}.Args()
	entry := func(signer *keypair.Full) xdr.SorobanAuthorizationEntry {
		a, _ := ParseAddress(kp.Address())
		e := xdr.SorobanAuthorizationEntry{
			Credentials: xdr.SorobanCredentials{Type: xdr.SorobanCredentialsTypeSorobanCredentialsAddress,
				Address: &xdr.SorobanAddressCredentials{Address: a.ScAddress(), Nonce: 9}},
			RootInvocation: xdr.SorobanAuthorizedInvocation{Function: xdr.SorobanAuthorizedFunction{
				Type: xdr.SorobanAuthorizedFunctionTypeSorobanAuthorizedFunctionTypeContractFn, ContractFn: &call}},
		}
		if err := Sign(&e, signer, 100, [32]byte{1}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	key, _ := ParseAddress(kp.Address())
	tests := []struct {
		name    string
		entry   xdr.SorobanAuthorizationEntry
		network [32]byte
		want    error
	}{
		{"valid", entry(kp), [32]byte{1}, nil},
		{"other network", entry(kp), [32]byte{2}, ErrSignature},
		{"other key", entry(other), [32]byte{1}, ErrSignature},
		{"no signature", func() xdr.SorobanAuthorizationEntry {
			e := entry(kp)
			e.Credentials.Address.Signature = xdr.ScVal{Type: xdr.ScValTypeScvVoid}
			return e
		}(), [32]byte{1}, ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.entry.Credentials.Address
			p, err := AuthPayload(tc.network, c, tc.entry.RootInvocation)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckSignature(c.Signature, p, key.Key); !errors.Is(err, tc.want) {
				t.Fatalf("CheckSignature: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseEventRefusals(t *testing.T) {
	good := Event{Type: EventTransfer, From: Account([32]byte{1}), To: Account([32]byte{2}), Amount: 3, Asset: "native",
		Dest: &DestinationID{Kind: DestText, Text: "m"}}.ContractEvent()
	topics := good.Body.V0.Topics
	bad := xdr.ScSymbol("approve")
	tests := []struct {
		name   string
		topics []xdr.ScVal
		data   xdr.ScVal
		want   error
	}{
		{"valid", topics, good.Body.V0.Data, nil},
		{"approve", append([]xdr.ScVal{{Type: xdr.ScValTypeScvSymbol, Sym: &bad}}, topics[1:]...), good.Body.V0.Data, ErrEvent},
		{"three topics for a transfer", topics[:3], good.Body.V0.Data, ErrEvent},
		{"amount not i128", topics, topics[1], ErrAmount},
		{"asset not a string", append(append([]xdr.ScVal{}, topics[:3]...), topics[1]), good.Body.V0.Data, ErrEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEvent([32]byte{}, tc.topics, tc.data)
			if !errors.Is(err, tc.want) || (err == nil && (e.Amount != 3 || e.Dest == nil || e.Dest.Text != "m")) {
				t.Fatalf("ParseEvent = %+v, %v; want %v", e, err, tc.want)
			}
		})
	}
}
