package revenue

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"

	"github.com/torplus/torplus/caddy-module/attention/attentiontest"
	"github.com/torplus/torplus/caddy-module/identity"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	payclient "github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
)

// TestPaymentFollowsItsReader runs the whole chain on a real Caddy: the
// meter (settling on a simulated Horizon), then the attention handler, in
// front of file_server. A real paying client reads /a.html in its free
// round and pays 1.5 TPT for /b.html; its reports (as its own meter
// identity) put 900 ms on /b.html and 300 ms on /a.html in the paid round.
// A forged session's report of 10 minutes on /a.html is refused. The
// revenue report (admin API) splits the payment 3:1, to the stroop, and
// names its transaction.
func TestPaymentFollowsItsReader(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a.html", "b.html"} {
		if err := os.WriteFile(filepath.Join(root, p), []byte("<p>"+strings.Repeat("x", 1500)+"</p>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hz := clienttest.StartHorizon(t)
	db := filepath.Join(t.TempDir(), "store.db")
	srv := attentiontest.Start(t, "", fmt.Sprintf(`	root * %s
	route {
		torplus {
			price 1.5
			destination %[2]s
			asset TPT %[3]s
			network "%[4]s"
			free_round 2KB
			round 1MB
			grace off
			allow_clearnet
			backend horizon %[5]s
			store sqlite %[6]s
		}
		torplus_attention news {
			allow_clearnet
			destination %[2]s
			store sqlite %[6]s
		}
		file_server
	}`, root, clienttest.Operator.Address(), clienttest.Issuer.Address(), spt.Passphrase, hz.URL, db))

	token := newTestToken()
	c, err := payclient.New(payclient.Config{
		HTTP: &http.Client{Timeout: 30 * time.Second}, Horizon: &horizonclient.Client{HorizonURL: hz.URL, HTTP: &http.Client{}},
		Key: clienttest.Payer, Session: token,
		Policy: payclient.Policy{NetworkPassphrase: spt.Passphrase, AssetCode: "TPT", AssetIssuer: clienttest.Issuer.Address(),
			Budget: &payclient.Budget{PerPayment: 15_000_000, Total: 15_000_000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	get := func(path string) {
		t.Helper()
		resp, err := c.Get(ctx, srv.Site+path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
	}
	report := func(tok, path string, ms int64, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.Site+"/.well-known/torplus/attention",
			strings.NewReader(fmt.Sprintf(`{"path":%q,"visible_ms":%d}`, path, ms)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(identity.SessionHeader, tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("report %s %d ms: %s %s, want %d", path, ms, resp.Status, b, want)
		}
	}
	get("/a.html")
	report(token, "/a.html", 300, 204) // free round: statistics only
	get("/a.html")                     // the free round is used up
	get("/b.html")                     // 402, paid, served
	if n, stroops := c.Paid(); n != 1 || stroops != 15_000_000 {
		t.Fatalf("the client paid %d times, %d stroops", n, stroops)
	}
	report(token, "/b.html", 900, 204)
	report(token, "/a.html", 300, 204)
	report(newTestToken(), "/a.html", 10*60_000, 422)

	resp, err := http.Get(srv.Admin + "/torplus/revenue?site=news&format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r Report
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	checkSums(t, r)
	if len(r.Transactions) != 1 {
		t.Fatalf("transactions %+v, want the one payment", r.Transactions)
	}
	tx := r.Transactions[0]
	want := []TxPage{tp("/a.html", 300, 0, 3_750_000), tp("/b.html", 900, 1507, 11_250_000)} // b.html was sent in the paid round
	if tx.Amount != 15_000_000 || tx.Basis != BasisAttention || len(tx.TxHash) != 64 || fmt.Sprint(tx.Pages) != fmt.Sprint(want) {
		t.Errorf("the payment's split %+v, want 1.5 TPT by attention over %+v", tx, want)
	}
	if free := total(r.Attention, "/a.html"); free != 600 {
		t.Errorf("statistics: /a.html %d ms, want the free and the paid round's 600", free)
	}
}

// newTestToken returns a fresh TorPlus-Session token.
func newTestToken() string {
	b := make([]byte, identity.TokenSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
