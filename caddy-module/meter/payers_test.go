package meter

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client/clienttest"
)

// payersSite runs a zone on the test network (which x402 and Payment can
// name), without a free round or grace, settled offline: every request of
// a new session is a 402 offering every format.
func payersSite(t *testing.T, extra map[string]any) *site {
	t.Helper()
	g := clienttest.Genesis()
	g.NetworkPassphrase = network.TestNetworkPassphrase
	h := map[string]any{"free_round": -1, "round_bytes": 200_000, "grace": "-1ns", "network": network.TestNetworkPassphrase,
		"backend": "offline", "offline_ledger": g, "settle_timeout": "1s"}
	for k, v := range extra {
		h[k] = v
	}
	s := startPaySite(t, "payers", h)
	s.file("f.bin", 10_000)
	return s
}

// testnetEnvelope is a classic payment of pr signed for the test network.
func testnetEnvelope(t testing.TB, pr payreq.Request, seq int64) string {
	t.Helper()
	return spt.MustEnvelope(t, spt.Tx{Source: payPayer, Sequence: seq, Passphrase: network.TestNetworkPassphrase,
		Ops:  spt.Ops(spt.Pay(pr.Destination, pr.AssetCode, pr.AssetIssuer, pr.Amount.String())),
		Memo: txnbuild.MemoHash(pr.ID), TimeBounds: spt.Until(pr.ExpiresAt)})
}

// TestOfferEveryFormat: one 402 carries x402's PAYMENT-REQUIRED, two
// Payment challenges (sponsored pull, unsponsored push) bound by the
// zone's secret, no-store, and the request with its SEP-7 URI in the body.
func TestOfferEveryFormat(t *testing.T) {
	s := payersSite(t, nil)
	resp, body := payer(newToken()).get(t, s.url("payers", "/f.bin"), "Accept", "application/json")
	if resp.StatusCode != 402 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s, Cache-Control %q", resp.Status, resp.Header.Get("Cache-Control"))
	}
	var pr payreq.Request
	if err := json.Unmarshal(body, &pr); err != nil {
		t.Fatal(err)
	}
	o := offersOf(t, resp.Header)
	a := o.required.Accepts
	if o.id != pr.ID || len(a) != 1 || a[0].Network != x402.NetworkTestnet || a[0].Amount != "15000000" ||
		a[0].PayTo != payOperator.Address() || !a[0].Extra.AreFeesSponsored || a[0].Validate() != nil ||
		a[0].MaxTimeoutSeconds < 60 || o.required.Resource.URL != s.url("payers", "/f.bin") {
		t.Fatalf("PAYMENT-REQUIRED %+v for request %+v", o.required, pr)
	}
	for i, c := range o.challenges {
		cr := o.charges[i]
		if c.Realm != s.ports["payers"] || c.Method != "stellar" || c.Intent != "charge" || cr.Currency != a[0].Asset ||
			cr.Amount != 15_000_000 || cr.MethodDetails.FeePayer != (i == 0) || cr.MethodDetails.Network != x402.NetworkTestnet {
			t.Fatalf("challenge %d: %+v %+v", i, c, cr)
		}
		if exp, err := time.Parse(time.RFC3339, c.Expires); err != nil || !exp.Equal(pr.ExpiresAt) {
			t.Fatalf("challenge expires %q, request %v", c.Expires, pr.ExpiresAt)
		}
	}
	// The secret is the zone's, kept 0600, and binds the ids.
	path := filepath.Join(filepath.Dir(s.dir), "payment-secret-payers")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", fi, err)
	}
	secret, err := loadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	is, _ := paymentauth.NewIssuer(s.ports["payers"], secret)
	if _, err := is.Verify(paymentauth.Credential{Challenge: o.challenges[0], Payload: paymentauth.Payload{Type: "transaction", Transaction: "AAAA"}}, time.Now()); err != nil {
		t.Fatalf("the site's own challenge does not verify under its secret: %v", err)
	}
}

// TestSecretFile: a secret readable by others, or too short, is refused.
func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	made, err := loadSecret(filepath.Join(dir, "s"))
	if err != nil || len(made) != paymentauth.MinSecretBytes {
		t.Fatalf("made %x, %v", made, err)
	}
	if again, err := loadSecret(filepath.Join(dir, "s")); err != nil || string(again) != string(made) {
		t.Fatalf("read back %x, %v", again, err)
	}
	for name, tc := range map[string]struct {
		body string
		mode os.FileMode
	}{
		"world-readable": {strings.Repeat("ab", 32), 0o644},
		"short":          {strings.Repeat("ab", 16), 0o600},
		"not hex":        {strings.Repeat("zz", 32), 0o600},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(p, []byte(tc.body), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		if _, err := loadSecret(p); !errors.Is(err, ErrSecretFile) {
			t.Errorf("%s: %v, want ErrSecretFile", name, err)
		}
	}
}

// payer is a clearnet client of a pay site, keyed by its session token.
func payer(token string) *client { return &client{Client: http.DefaultClient, token: token} }
