package harness

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/horizonsim"
)

// The accounts of the simulated network.
var (
	// Operator is the site's account, which payments go to.
	Operator = spt.Operator
	// Issuer issues TPT.
	Issuer = spt.Issuer
	// TPT is the asset payments are made in.
	TPT = simledger.Asset{Code: "TPT", Issuer: Issuer.Address()}
)

// Stellar is a simulated Stellar network behind a Horizon HTTP API on
// 127.0.0.1, with funded payers.
type Stellar struct {
	// Horizon is the simulated Horizon server (with its fault switches).
	Horizon *horizonsim.Server
	// Ledger is the network's ledger.
	Ledger *simledger.Ledger
	// Payers each hold 10,000 XLM and 1,000,000 TPT.
	Payers []*keypair.Full
	// Genesis is the network's first state: what an offline backend
	// seeded with the same accounts starts from.
	Genesis simledger.Genesis

	hc *horizonclient.Client
}

// StartStellar starts a network with n payers; it stops when the test ends.
func StartStellar(t testing.TB, n int) *Stellar {
	t.Helper()
	g := simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: Issuer.Address(), Balance: "1000"},
		{Address: Operator.Address(), Balance: "1000", Trustlines: []simledger.TrustlineSpec{{Asset: TPT}}},
	}}
	s := &Stellar{}
	for i := 0; i < n; i++ {
		kp := spt.Key("reliability-payer-" + strconv.Itoa(i))
		s.Payers = append(s.Payers, kp)
		g.Accounts = append(g.Accounts, simledger.AccountSpec{Address: kp.Address(), Balance: "10000",
			Trustlines: []simledger.TrustlineSpec{{Asset: TPT, Balance: "1000000"}}})
	}
	l, err := simledger.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Ledger, s.Genesis = l, g
	if s.Horizon, err = horizonsim.Start(l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Horizon.Close() })
	s.hc = &horizonclient.Client{HorizonURL: s.Horizon.URL, HTTP: &http.Client{Timeout: 30 * time.Second}}
	return s
}

// Terms returns the torplus block's lines that sell rounds at price TPT to
// Operator, settled on this network's Horizon.
func (s *Stellar) Terms(price string) []string {
	return []string{
		"price " + price,
		"destination " + Operator.Address(),
		"asset TPT " + Issuer.Address(),
		`network "` + spt.Passphrase + `"`,
		"backend horizon " + s.Horizon.URL,
	}
}

// Pay signs, with the real SDK, the payment pr asks for from payer at the
// account's next sequence number (read from Horizon), and returns the
// base64 envelope and the transaction hash.
func (s *Stellar) Pay(payer *keypair.Full, pr payreq.Request) (env, hash string, err error) {
	acct, err := s.hc.AccountDetail(horizonclient.AccountRequest{AccountID: payer.Address()})
	if err != nil {
		return "", "", fmt.Errorf("reading %s from Horizon: %w", payer.Address(), err)
	}
	return Sign(payer, acct.Sequence+1, pr)
}

// Sign builds and signs the payment pr asks for from payer at sequence seq.
func Sign(payer *keypair.Full, seq int64, pr payreq.Request) (env, hash string, err error) {
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: payer.Address(), Sequence: seq - 1},
		IncrementSequenceNum: true,
		Operations: []txnbuild.Operation{&txnbuild.Payment{Destination: pr.Destination, Amount: pr.Amount.String(),
			Asset: txnbuild.CreditAsset{Code: pr.AssetCode, Issuer: pr.AssetIssuer}}},
		BaseFee:       txnbuild.MinBaseFee,
		Memo:          txnbuild.MemoHash(pr.ID),
		Preconditions: txnbuild.Preconditions{TimeBounds: txnbuild.NewTimebounds(0, pr.ExpiresAt.Unix())},
	})
	if err != nil {
		return "", "", err
	}
	if tx, err = tx.Sign(pr.NetworkPassphrase, payer); err != nil {
		return "", "", err
	}
	if env, err = tx.Base64(); err != nil {
		return "", "", err
	}
	hash, err = tx.HashHex(pr.NetworkPassphrase)
	return env, hash, err
}

// Landed reports whether the ledger applied the transaction with hash successfully.
func (s *Stellar) Landed(hash string) bool {
	res, err := s.Ledger.Transaction(hash)
	return err == nil && res.Successful
}

// Received returns the Operator's TPT balance in stroops.
func (s *Stellar) Received(t testing.TB) int64 {
	t.Helper()
	b, err := s.Ledger.Balance(Operator.Address(), TPT)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
