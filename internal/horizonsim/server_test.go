package horizonsim

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
)

var (
	payer, operator, issuer, stranger = spt.Payer, spt.Operator, spt.Issuer, spt.Stranger
	tpt                               = simledger.Asset{Code: "TPT", Issuer: issuer.Address()}
)

// start runs a simulated Horizon over a fresh ledger and returns it with
// a real SDK client pointed at it.
func start(t *testing.T) (*Server, *horizonclient.Client) {
	t.Helper()
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: operator.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt}}},
		{Address: payer.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "20"}}},
		{Address: stranger.Address(), Balance: "10"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &horizonclient.Client{HorizonURL: s.URL, HTTP: &http.Client{}}
	c.SetHorizonTimeout(5 * time.Second)
	return s, c
}

// payment builds a TPT payment from payer with the sequence number Horizon
// reports, then lets edit change it.
func payment(t *testing.T, c *horizonclient.Client, edit func(*spt.Tx)) string {
	t.Helper()
	acct, err := c.AccountDetail(horizonclient.AccountRequest{AccountID: payer.Address()})
	if err != nil {
		t.Fatalf("AccountDetail: %v", err)
	}
	tx := spt.Tx{Source: payer, Sequence: acct.Sequence + 1,
		Ops:        []txnbuild.Operation{spt.Pay(operator.Address(), "TPT", issuer.Address(), "2.5")},
		Memo:       txnbuild.MemoHash{7},
		TimeBounds: txnbuild.NewTimeout(300)}
	if edit != nil {
		edit(&tx)
	}
	return spt.MustEnvelope(t, tx)
}

func TestSubmitThroughSDK(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*spt.Tx)
		env    func(string) string
		status int
		tx     string
		op     string
	}{
		{name: "good payment"},
		{name: "bad seq", edit: func(tx *spt.Tx) { tx.Sequence += 5 }, status: 400, tx: "tx_bad_seq"},
		{name: "underfunded", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Amount = "20.0000001" }, status: 400, tx: "tx_failed", op: "op_underfunded"},
		{name: "no trustline", edit: func(tx *spt.Tx) { tx.Ops[0].(*txnbuild.Payment).Destination = stranger.Address() }, status: 400, tx: "tx_failed", op: "op_no_trust"},
		{name: "bad signature", edit: func(tx *spt.Tx) { tx.Signers = []*keypair.Full{stranger} }, status: 400, tx: "tx_bad_auth"},
		{name: "expired time bounds", edit: func(tx *spt.Tx) {
			tx.TimeBounds = txnbuild.NewTimebounds(0, time.Now().Add(-time.Minute).Unix())
		}, status: 400, tx: "tx_too_late"},
		{name: "malformed", env: func(string) string { return "AAAA" }, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := start(t)
			env := payment(t, c, tc.edit)
			if tc.env != nil {
				env = tc.env(env)
			}
			res, err := c.SubmitTransactionXDR(env)
			if tc.status == 0 {
				if err != nil || !res.Successful || res.Hash == "" {
					t.Fatalf("Submit = %+v, %v", res, err)
				}
				got, err := c.TransactionDetail(res.Hash)
				if err != nil || got.Hash != res.Hash || got.Memo == "" || got.EnvelopeXdr != env {
					t.Fatalf("TransactionDetail = %+v, %v", got, err)
				}
				acct, err := c.AccountDetail(horizonclient.AccountRequest{AccountID: operator.Address()})
				if err != nil {
					t.Fatal(err)
				}
				if bal := acct.GetCreditBalance("TPT", issuer.Address()); bal != "2.5000000" {
					t.Fatalf("operator TPT balance %q", bal)
				}
				return
			}
			var herr *horizonclient.Error
			if !errors.As(err, &herr) || herr.Problem.Status != tc.status {
				t.Fatalf("Submit error = %v, want a horizon error %d", err, tc.status)
			}
			if tc.tx == "" {
				if herr.Problem.Type != typePrefix+"transaction_malformed" {
					t.Fatalf("problem type %s", herr.Problem.Type)
				}
				return
			}
			codes, err := herr.ResultCodes()
			if err != nil || codes.TransactionCode != tc.tx || (tc.op != "" && !slices.Contains(codes.OperationCodes, tc.op)) {
				t.Fatalf("result codes %+v, %v; want %s %s", codes, err, tc.tx, tc.op)
			}
			if bal, _ := s.Ledger.Balance(operator.Address(), tpt); bal != 0 {
				t.Fatalf("operator received %d despite %s", bal, tc.tx)
			}
		})
	}
}

func TestQueries(t *testing.T) {
	_, c := start(t)
	root, err := c.Root()
	if err != nil || root.NetworkPassphrase != spt.Passphrase {
		t.Fatalf("Root = %+v, %v", root, err)
	}
	_, err = c.AccountDetail(horizonclient.AccountRequest{AccountID: spt.Key("nobody").Address()})
	if !horizonclient.IsNotFoundError(err) {
		t.Fatalf("missing account: %v", err)
	}
	_, err = c.TransactionDetail("00ff")
	if !horizonclient.IsNotFoundError(err) {
		t.Fatalf("missing transaction: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s, c := start(t)

	env := payment(t, c, nil)
	s.SetFailStatus(http.StatusServiceUnavailable)
	_, err := c.SubmitTransactionXDR(env)
	var herr *horizonclient.Error
	if !errors.As(err, &herr) || herr.Problem.Status != 503 {
		t.Fatalf("503 switch: %v", err)
	}
	s.SetFailStatus(0)

	if err := s.SetUnreachable(true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitTransactionXDR(env); err == nil || errors.As(err, &herr) {
		t.Fatalf("unreachable: want a connection error, got %v", err)
	}
	if err := s.SetUnreachable(false); err != nil {
		t.Fatal(err)
	}

	// Slow: the client gives up, but the transaction lands.
	s.SetDelay(3 * time.Second)
	c.SetHorizonTimeout(200 * time.Millisecond)
	if _, err := c.SubmitTransactionXDR(env); err == nil {
		t.Fatal("slow server: want a timeout")
	}
	s.SetDelay(0)
	c.SetHorizonTimeout(5 * time.Second)
	res, err := c.SubmitTransactionXDR(env) // the same envelope again: Horizon answers with the stored result
	if err != nil || !res.Successful {
		t.Fatalf("resubmission after timeout: %+v, %v", res, err)
	}
	if bal, _ := s.Ledger.Balance(operator.Address(), tpt); bal != 25_000_000 {
		t.Fatalf("operator holds %d, want exactly one payment", bal)
	}
	if n := s.Submissions(); n != 3 { // 503, slow, again; none while unreachable
		t.Fatalf("server counted %d submissions, want 3", n)
	}
}
