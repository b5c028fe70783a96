package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/revenue/revenuetest"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
	"github.com/torplus/torplus/client/clienttest"
)

// TestRevenueVerifyOnLedger: `hoster revenue verify --horizon` checks each
// transaction a signed report lists against a real Horizon API (the
// simulated network): a report of real payments passes; a report listing
// a transaction the ledger never saw fails, naming it.
func TestRevenueVerifyOnLedger(t *testing.T) {
	hz := clienttest.StartHorizon(t)
	site := clienttest.Operator.Address()
	acct, err := hz.Ledger.Account(clienttest.Payer.Address())
	if err != nil {
		t.Fatal(err)
	}
	env := spt.MustEnvelope(t, spt.Tx{Source: clienttest.Payer, Sequence: acct.Sequence + 1,
		Ops: []txnbuild.Operation{spt.Pay(site, "TPT", clienttest.Issuer.Address(), "2")}})
	res, _, err := hz.Ledger.Submit(env)
	if err != nil {
		t.Fatal(err)
	}
	kp := keypair.MustRandom()
	keyFile := filepath.Join(t.TempDir(), "seed")
	os.WriteFile(keyFile, []byte(kp.Seed()), 0o600)
	sign := func(hashes ...string) string { return signedReport(t, site, keyFile, hashes...) }
	good := sign(res.Hash)
	code, _, errOut := runHoster(t, nil, "revenue", "verify", "--signer", kp.Address(), "--horizon", hz.URL, good)
	if code != 0 || !strings.Contains(errOut, "all 1 transactions are on the ledger") {
		t.Fatalf("verify --horizon of real payments: exit %d %s", code, errOut)
	}
	madeUp := strings.Repeat("ab", 32)
	bad := sign(res.Hash, madeUp)
	code, _, errOut = runHoster(t, nil, "revenue", "verify", "--horizon", hz.URL, bad)
	if code == 0 || !strings.Contains(errOut, madeUp+": revenue: a listed transaction is not on the ledger") || strings.Contains(errOut, res.Hash+":") {
		t.Fatalf("verify --horizon of a made-up transaction: exit %d %s", code, errOut)
	}
}

// signedReport writes a store with one paid 2 TPT request to site per
// hash (paid 2026-11-05), builds the November report with hoster revenue
// --sign (keyFile's key) and returns the report's file.
func signedReport(t *testing.T, site, keyFile string, hashes ...string) string {
	t.Helper()
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	db := filepath.Join(t.TempDir(), "store.db")
	ctx := context.Background()
	l, err := store.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		id := payreq.ID{byte(i + 1)}
		if err := l.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: payreq.Request{ID: id, Destination: site,
			AssetCode: "TPT", Amount: 20_000_000, ExpiresAt: at.Add(time.Hour)}, Session: "t:1", CreatedAt: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.BeginSettle(ctx, id, h, at); err != nil {
			t.Fatal(err)
		}
		if _, err := l.FinishSettle(ctx, id, h, at); err != nil {
			t.Fatal(err)
		}
	}
	dbs, driver, _ := store.SQL(l)
	if _, err := attention.NewSQLStore(ctx, dbs, driver); err != nil {
		t.Fatal(err)
	}
	l.Close()
	out := filepath.Join(t.TempDir(), "report.json")
	if code, _, errOut := runHoster(t, nil, "revenue", "--dsn", db, "--from", "2026-11-01", "--to", "2026-12-01",
		"--destination", site, "--sign", "--key-file", keyFile, "-o", out); code != 0 {
		t.Fatalf("revenue --sign: exit %d %s", code, errOut)
	}
	return out
}

// TestRevenueVerifyOverRPC: `hoster revenue verify --stellar-rpc` checks
// each transaction a signed report lists over Stellar RPC (the simulated
// one): a classic payment and a SAC transfer to the site pass; a report
// that also lists a transfer to someone else and a transaction the ledger
// never saw fails, naming both and not the good ones; without
// --asset-issuer it refuses to guess the asset.
func TestRevenueVerifyOverRPC(t *testing.T) {
	n := revenuetest.StartRPC(t)
	site := revenuetest.Site.Address()
	classic, status := n.Classic(revenuetest.Payer, site, n.TPT, "2")
	if status != "SUCCESS" {
		t.Fatalf("classic payment: %s", status)
	}
	viaSAC := n.Transfer(revenuetest.Payer, site, n.TPT, 20_000_000)
	elsewhere := n.Transfer(revenuetest.Payer, revenuetest.Stranger.Address(), n.TPT, 20_000_000)
	madeUp := strings.Repeat("cd", 32)
	kp := keypair.MustRandom()
	keyFile := filepath.Join(t.TempDir(), "seed")
	os.WriteFile(keyFile, []byte(kp.Seed()), 0o600)
	issuer := revenuetest.Issuer.Address()

	good := signedReport(t, site, keyFile, classic, viaSAC)
	code, _, errOut := runHoster(t, nil, "revenue", "verify", "--signer", kp.Address(), "--stellar-rpc", n.Server.URL, "--asset-issuer", issuer, good)
	if code != 0 || !strings.Contains(errOut, "all 2 transactions are on the ledger (Stellar RPC)") {
		t.Fatalf("verify --stellar-rpc of real payments: exit %d %s", code, errOut)
	}
	bad := signedReport(t, site, keyFile, classic, elsewhere, viaSAC, madeUp)
	code, _, errOut = runHoster(t, nil, "revenue", "verify", "--stellar-rpc", n.Server.URL, "--asset-issuer", issuer, bad)
	if code == 0 || !strings.Contains(errOut, elsewhere+": revenue: a listed transaction did not pay the site") ||
		!strings.Contains(errOut, madeUp+": revenue: a listed transaction is not on the ledger") ||
		strings.Contains(errOut, classic+":") || strings.Contains(errOut, viaSAC+":") {
		t.Fatalf("verify --stellar-rpc of a report naming a stranger's payment and a made-up one: exit %d %s", code, errOut)
	}
	code, _, errOut = runHoster(t, nil, "revenue", "verify", "--stellar-rpc", n.Server.URL, good)
	if code == 0 || !strings.Contains(errOut, "--stellar-rpc needs --asset-issuer") {
		t.Fatalf("verify --stellar-rpc without --asset-issuer: exit %d %s", code, errOut)
	}
}
