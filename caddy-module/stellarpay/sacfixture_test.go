package stellarpay

import (
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/stellarpay/txenv"
	"github.com/torplus/torplus/internal/rpcsim"
)

var (
	tptAsset = simledger.Asset{Code: "TPT", Issuer: issuer.Address()}
	feeKey   = spt.Key("fee")
)

// sacGenesis is a ledger with TPT's SAC, a payer holding 50 TPT, the
// operator, and a fee account holding only XLM.
func sacGenesis(passphrase string) simledger.Genesis {
	line := func(bal string) []simledger.TrustlineSpec {
		return []simledger.TrustlineSpec{{Asset: tptAsset, Balance: bal}}
	}
	return simledger.Genesis{NetworkPassphrase: passphrase, Accounts: []simledger.AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: operator.Address(), Balance: "10", Trustlines: line("0")},
		{Address: payer.Address(), Balance: "10", Trustlines: line("50")},
		{Address: stranger.Address(), Balance: "10", Trustlines: line("50")},
		{Address: feeKey.Address(), Balance: "100"},
	}, AssetContracts: []simledger.Asset{tptAsset}}
}

// sacTx describes a SAC payment as a wallet makes it against ledger l:
// simulated there, its auth entry signed, its Soroban data attached.
type sacTx struct {
	from, to   *keypair.Full
	muxedID    uint64 // pays the operator's M… address when set
	amount     int64
	signer     *keypair.Full // payer when nil
	ledgers    uint32        // signature validity from the ledger's number; 20 when 0
	passphrase string        // signed for; the ledger's when empty
	// nonce, when set, replaces the nonce simulation picked (in the auth
	// entry and the footprint) before signing: a payer reusing a nonce.
	nonce int64
	// edit changes the transaction after signing the auth entry.
	edit func(op *txnbuild.InvokeHostFunction)
}

func (s sacTx) envelope(t testing.TB, l *simledger.Ledger) string {
	t.Helper()
	if s.from == nil {
		s.from = payer
	}
	if s.to == nil {
		s.to = operator
	}
	from, _ := sac.ParseAddress(s.from.Address())
	to, _ := sac.ParseAddress(s.to.Address())
	if s.muxedID != 0 {
		to.Muxed, to.ID = true, s.muxedID
	}
	call := sac.Transfer{Contract: l.ContractID(tptAsset), From: from, To: to, Amount: s.amount}.Args()
	// The wallet simulates with a source other than the payer (the
	// JavaScript SDK uses a placeholder account), so that the payer's
	// authorization comes back as an address credential to sign.
	unsigned := spt.MustEnvelope(t, spt.Tx{Source: feeKey, Sequence: 1, Ops: []txnbuild.Operation{spt.Invoke(call, nil, nil)}})
	sim, err := l.Simulate(unsigned)
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	signer, ledgers, pass := s.signer, s.ledgers, s.passphrase
	if signer == nil {
		signer = s.from
	}
	if ledgers == 0 {
		ledgers = 20
	}
	if pass == "" {
		pass = l.NetworkPassphrase()
	}
	if s.nonce != 0 {
		if err := spt.UseNonce(sim.Auth, &sim.Data, s.nonce); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sim.Auth {
		if err := sac.Sign(&sim.Auth[i], signer, l.Number()+ledgers, txenv.NetworkID(pass)); err != nil {
			t.Fatal(err)
		}
	}
	op := spt.Invoke(call, sim.Auth, &sim.Data)
	if s.edit != nil {
		s.edit(op)
	}
	return spt.MustEnvelope(t, spt.Tx{Source: feeKey, Sequence: 1, Ops: []txnbuild.Operation{op}})
}

// callArgs returns the call an edited operation makes.
func callArgs(op *txnbuild.InvokeHostFunction) *xdr.InvokeContractArgs {
	return op.HostFunction.InvokeContract
}

// simRPC starts a simulated RPC with opts over a new ledger made from g,
// stopped when the test ends.
func simRPC(t testing.TB, g simledger.Genesis, opts rpcsim.Options) (*simledger.Ledger, *rpcsim.Server) {
	t.Helper()
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rpcsim.Start(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return l, s
}
