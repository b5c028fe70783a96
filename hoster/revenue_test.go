package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/attention"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/store"
)

// runHoster runs the hoster command line (this test binary acting as it)
// and returns its exit code, standard output and standard error.
func runHoster(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), runAsHoster+"=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// Accounts of the revenue command tests.
var (
	revenueSite   = keypair.MustRandom().Address()
	revenueAuthor = keypair.MustRandom().Address()
)

// revenueStore writes a store with two paid requests (6 + 2 TPT) to
// revenueSite in November 2026, the rounds they bought, and what their
// sessions read in them: session one /a.html only, session two /a.html 1 :
// /b.html 3.
func revenueStore(t *testing.T) string { return revenueStoreFor(t, revenueSite) }

// revenueStoreFor is revenueStore with payments to site.
func revenueStoreFor(t *testing.T, site string) string {
	path := filepath.Join(t.TempDir(), "store.db")
	ctx := context.Background()
	l, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	for i, amount := range []payreq.Amount{60_000_000, 20_000_000} {
		id := payreq.ID{byte(i + 1)}
		session := fmt.Sprintf("t:%d", i)
		tx := strings.Repeat(string(rune('a'+i)), 64)
		if err := l.PutPaymentRequests(ctx, []store.PaymentRequest{{Request: payreq.Request{ID: id, Destination: site,
			AssetCode: "TPT", Amount: amount, ExpiresAt: at.Add(time.Hour)}, Session: session, CreatedAt: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.BeginSettle(ctx, id, tx, at); err != nil {
			t.Fatal(err)
		}
		if _, err := l.FinishSettle(ctx, id, tx, at); err != nil {
			t.Fatal(err)
		}
		if err := l.AddRounds(ctx, []store.Round{{Session: session, N: 2, Bytes: 1000, PaymentRequest: id, StartedAt: at}}); err != nil {
			t.Fatal(err)
		}
	}
	db, driver, _ := store.SQL(l)
	s, err := attention.NewSQLStore(ctx, db, driver)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, []attention.Daily{{Site: "news", Day: attention.DayOf(at), Path: "/a.html", VisibleMS: 31_000, Reports: 3}},
		[]attention.PageRound{{Site: "news", Session: "t:0", Round: 2, Path: "/a.html", VisibleMS: 30_000},
			{Site: "news", Session: "t:1", Round: 2, Path: "/a.html", VisibleMS: 1000},
			{Site: "news", Session: "t:1", Round: 2, Path: "/b.html", VisibleMS: 3000}}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRevenueCommand(t *testing.T) {
	db := revenueStore(t)
	period := []string{"--site", "news", "--dsn", db, "--from", "2026-11-01", "--to", "2026-12-01",
		"--destination", revenueSite, "--payee", "/b.html " + revenueAuthor}

	// /a.html: 6 + 0.5, /b.html: 1.5; the pool of 4 by those, 3.25 and 0.75.
	code, out, errOut := runHoster(t, nil, append([]string{"revenue", "--format", "csv", "--pool", "4"}, period...)...)
	want := "site,from,to,asset_code,account,path,amount\n" +
		"news,2026-11-01,2026-12-01,TPT," + revenueAuthor + ",/b.html,2.2500000\n" +
		"news,2026-11-01,2026-12-01,TPT," + revenueSite + ",/a.html,9.7500000\n" +
		"news,2026-11-01,2026-12-01,TPT,,(total),12.0000000\n"
	if revenueSite < revenueAuthor {
		want = "site,from,to,asset_code,account,path,amount\n" +
			"news,2026-11-01,2026-12-01,TPT," + revenueSite + ",/a.html,9.7500000\n" +
			"news,2026-11-01,2026-12-01,TPT," + revenueAuthor + ",/b.html,2.2500000\n" +
			"news,2026-11-01,2026-12-01,TPT,,(total),12.0000000\n"
	}
	if code != 0 || out != want {
		t.Fatalf("revenue --format csv: exit %d\n%s%s\nwant:\n%s", code, out, errOut, want)
	}
	// --data-dir alone finds the store hoster serve writes there.
	byDir := append(append([]string{"revenue", "--format", "csv", "--pool", "4", "--data-dir", filepath.Dir(db)}, period[:2]...), period[4:]...)
	if code, out, errOut := runHoster(t, nil, byDir...); code != 0 || out != want {
		t.Fatalf("revenue --data-dir: exit %d\n%s%s\nwant:\n%s", code, out, errOut, want)
	}

	kp := keypair.MustRandom()
	keyFile := filepath.Join(t.TempDir(), "seed")
	os.WriteFile(keyFile, []byte(kp.Seed()), 0o600)
	signed := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut = runHoster(t, nil, append([]string{"revenue", "--sign", "--key-file", keyFile, "-o", signed}, period...)...)
	if code != 0 || strings.Contains(out+errOut, kp.Seed()) {
		t.Fatalf("revenue --sign: exit %d, output %q %q", code, out, errOut)
	}
	code, out, errOut = runHoster(t, nil, "revenue", "verify", "--signer", kp.Address(), "--format", "csv", signed)
	if code != 0 || !strings.Contains(errOut, "good signature by "+kp.Address()) || !strings.Contains(out, revenueSite+",/a.html,6.5000000") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}

	// One altered byte: verify fails.
	b, _ := os.ReadFile(signed)
	i := bytes.Index(b, []byte("6.5000000"))
	b[i] = '7'
	altered := filepath.Join(t.TempDir(), "altered.json")
	os.WriteFile(altered, b, 0o644)
	if code, _, errOut := runHoster(t, nil, "revenue", "verify", altered); code == 0 || !strings.Contains(errOut, "signature does not verify") {
		t.Errorf("verify of an altered report: exit %d, %s", code, errOut)
	}

	// The seed from the environment; a group-readable seed file is refused.
	if code, _, errOut := runHoster(t, []string{"TORPLUS_STELLAR_SEED=" + kp.Seed()}, append([]string{"revenue", "--sign"}, period...)...); code != 0 {
		t.Errorf("seed from the environment: exit %d %s", code, errOut)
	}
	os.Chmod(keyFile, 0o640)
	if code, _, errOut := runHoster(t, nil, append([]string{"revenue", "--sign", "--key-file", keyFile}, period...)...); code == 0 || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("group-readable seed file: exit %d %s", code, errOut)
	}
	if code, _, errOut := runHoster(t, nil, "revenue", "--dsn", filepath.Join(t.TempDir(), "none.db")); code == 0 || !strings.Contains(errOut, "no store database") {
		t.Errorf("missing database: exit %d %s", code, errOut)
	}
}
