package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/revenue/revenuetest"
)

func TestRevenuePayoutCommand(t *testing.T) {
	db := revenueStore(t)
	issuer := keypair.MustRandom().Address()
	dir := t.TempDir()
	txFile, csvFile := filepath.Join(dir, "payout.xdr"), filepath.Join(dir, "payout.csv")
	args := []string{"revenue", "payout", "--site", "news", "--dsn", db, "--from", "2026-11-01", "--to", "2026-12-01",
		"--destination", revenueSite, "--payee", "/b.html " + revenueAuthor, "--asset-issuer", issuer}

	code, _, errOut := runHoster(t, nil, append(args, "--sequence", "41", "-o", txFile, "--csv", csvFile)...)
	if code != 0 {
		t.Fatalf("payout: exit %d %s", code, errOut)
	}
	b, _ := os.ReadFile(txFile)
	gen, err := txnbuild.TransactionFromXDR(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := gen.Transaction()
	ops := tx.Operations()
	if len(ops) != 1 || len(tx.Signatures()) != 0 || tx.SequenceNumber() != 42 || tx.SourceAccount().AccountID != revenueSite {
		t.Fatalf("payout transaction: %d ops, %d signatures, sequence %d, source %s", len(ops), len(tx.Signatures()), tx.SequenceNumber(), tx.SourceAccount().AccountID)
	}
	// /b.html got 1.5 of session two's 2 TPT (1 : 3 with /a.html).
	if p := ops[0].(*txnbuild.Payment); p.Destination != revenueAuthor || p.Amount != "1.5000000" || p.Asset.GetIssuer() != issuer {
		t.Errorf("payout %+v", p)
	}
	csvText, _ := os.ReadFile(csvFile)
	if !strings.Contains(string(csvText), revenueAuthor+",1.5000000,/b.html,1") || !strings.Contains(string(csvText), "(total),8.0000000") {
		t.Errorf("payout CSV:\n%s", csvText)
	}

	tests := []struct {
		name   string
		extra  []string
		reason string
	}{
		{"no sequence", nil, "--sequence"},
		{"a bad payee rule", []string{"--sequence", "1", "--payee", "/x.html GNOPE"}, "not a Stellar account"},
	}
	for _, tt := range tests {
		if code, _, errOut := runHoster(t, nil, append(args, tt.extra...)...); code == 0 || !strings.Contains(errOut, tt.reason) {
			t.Errorf("%s: exit %d, %s", tt.name, code, errOut)
		}
	}
}

// TestRevenuePayoutSAC: `hoster revenue payout --sac --stellar-rpc` reads
// the site's sequence number and network from the simulated Stellar RPC
// and writes one unsigned SAC transfer per payee, simulated there; signed
// by the site's key (elsewhere), the RPC applies it and the author holds
// exactly its share. Without --stellar-rpc, --sac refuses.
func TestRevenuePayoutSAC(t *testing.T) {
	n := revenuetest.StartRPC(t)
	site, author := revenuetest.Site.Address(), revenuetest.Stranger.Address()
	db := revenueStoreFor(t, site)
	txFile := filepath.Join(t.TempDir(), "payout.xdr")
	args := []string{"revenue", "payout", "--site", "news", "--dsn", db, "--from", "2026-11-01", "--to", "2026-12-01",
		"--destination", site, "--payee", "/b.html " + author, "--asset-issuer", revenuetest.Issuer.Address(), "--sac"}
	code, _, errOut := runHoster(t, nil, append(args, "--stellar-rpc", n.Server.URL, "-o", txFile)...)
	if code != 0 {
		t.Fatalf("payout --sac: exit %d %s", code, errOut)
	}
	b, _ := os.ReadFile(txFile)
	lines := strings.Fields(string(b))
	if len(lines) != 1 {
		t.Fatalf("%d transactions for one payee:\n%s", len(lines), b)
	}
	gen, err := txnbuild.TransactionFromXDR(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := gen.Transaction()
	if _, ok := tx.Operations()[0].(*txnbuild.InvokeHostFunction); !ok || len(tx.Signatures()) != 0 {
		t.Fatalf("payout: %T, %d signatures", tx.Operations()[0], len(tx.Signatures()))
	}
	signed, err := tx.Sign(revenuetest.Passphrase, revenuetest.Site)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := signed.Base64()
	if hash, status := n.Send(env); status != "SUCCESS" {
		t.Fatalf("the RPC did not apply the signed SAC payout %s: %s", hash, status)
	}
	// /b.html got 1.5 of session two's 2 TPT (1 : 3 with /a.html).
	if bal, _ := n.Server.Ledger.Balance(author, n.TPT); bal != 15_000_000 {
		t.Errorf("the author holds %d stroops, want 15000000", bal)
	}
	if code, _, errOut := runHoster(t, nil, append(args, "--sequence", "1")...); code == 0 || !strings.Contains(errOut, "--sac needs --stellar-rpc") {
		t.Errorf("--sac without --stellar-rpc: exit %d %s", code, errOut)
	}
}
