package meter

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	payclient "github.com/torplus/torplus/client"
	"github.com/torplus/torplus/client/clienttest"
	"github.com/torplus/torplus/internal/horizonsim"
)

// Accounts of the payment tests' ledgers (clienttest.Genesis).
var (
	payOperator = clienttest.Operator
	payIssuer   = clienttest.Issuer
	payPayer    = clienttest.Payer
	payBroke    = clienttest.Broke
	tpt         = clienttest.TPT
)

const (
	payPrice   = "1.5"
	payStroops = 15_000_000
)

// startPaySite runs Caddy with one server: the torplus handler h (terms
// of the payment tests filled in, clearnet clients keyed by their session
// token) in front of a file_server.
func startPaySite(t *testing.T, zone string, h map[string]any) *site {
	t.Helper()
	return startPaySites(t, map[string]map[string]any{zone: h})
}

// startPaySites runs Caddy with one server per zone, as startPaySite
// does; each zone has its own store file unless its handler names one.
func startPaySites(t *testing.T, zones map[string]map[string]any) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), admin: freeAddr(t), ports: map[string]string{}}
	servers := map[string]any{}
	for zone, h := range zones {
		s.ports[zone] = freeAddr(t)
		for k, v := range map[string]any{
			"handler": "torplus", "zone": zone, "price": payPrice, "destination": payOperator.Address(),
			"asset_code": "TPT", "asset_issuer": payIssuer.Address(), "network": spt.Passphrase, "allow_clearnet": true,
			"store": map[string]any{"driver": "sqlite", "dsn": filepath.Join(s.dir, "..", zone+".db"), "flush_interval": "50ms"},
		} {
			if _, ok := h[k]; !ok {
				h[k] = v
			}
		}
		servers[zone] = map[string]any{
			"listen":          []string{s.ports[zone]},
			"routes":          []any{map[string]any{"handle": []any{h, map[string]any{"handler": "file_server", "root": s.dir}}}},
			"automatic_https": map[string]any{"disable": true},
		}
	}
	s.cfg = map[string]any{
		"admin":   map[string]any{"listen": s.admin},
		"logging": map[string]any{"logs": map[string]any{"default": map[string]any{"level": "ERROR"}}},
		"storage": map[string]any{"module": "file_system", "root": filepath.Join(s.dir, "..", "caddy-storage")},
		"apps":    map[string]any{"http": map[string]any{"servers": servers}},
	}
	s.load(s.cfg)
	t.Cleanup(func() { caddy.Stop() })
	return s
}

// payingClient is the real paying client, through a SOCKS5 proxy, paying
// from key with the given budget in stroops.
func payingClient(t *testing.T, hz *horizonsim.Server, key *keypair.Full, budget int64) *payclient.Client {
	t.Helper()
	c, err := payclient.New(payclient.Config{
		HTTP: socksHTTP(t), Horizon: &horizonclient.Client{HorizonURL: hz.URL, HTTP: &http.Client{}}, Key: key,
		Policy: payclient.Policy{NetworkPassphrase: spt.Passphrase, AssetCode: "TPT", AssetIssuer: payIssuer.Address(),
			Budget: &payclient.Budget{PerPayment: payStroops, Total: budget}},
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// socksHTTP is the paying client's HTTP client, through a SOCKS5 proxy
// of the test's own.
func socksHTTP(t *testing.T) *http.Client {
	t.Helper()
	socks := clienttest.StartSOCKS(t, "", "")
	hc, err := payclient.NewHTTPClient(socks.Addr(), "", "", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// envelope signs a payment of amount TPT from payer for pr at sequence seq.
func envelope(t testing.TB, pr payreq.Request, payer *keypair.Full, seq int64, amount string) string {
	t.Helper()
	a, err := payreq.ParseAmount(amount)
	if err != nil {
		t.Fatal(err)
	}
	pr.Amount = a
	return signedBy(t, pr, payer, payer, seq)
}

// refusal is a payment endpoint's JSON answer.
type refusal struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Codes   *struct {
		Transaction string `json:"transaction"`
	} `json:"result_codes"`
}

// post sends env to the payment endpoint as the SEP-7 callback does.
func post(t *testing.T, endpoint, env string) (int, refusal, http.Header) {
	t.Helper()
	resp, err := http.PostForm(endpoint, url.Values{"xdr": {env}})
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeRefusal(t, resp.Body), resp.Header
}

func decodeRefusal(t *testing.T, r io.Reader) refusal {
	t.Helper()
	var out refusal
	b, _ := io.ReadAll(r)
	if len(b) > 0 && strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer %q: %v", b, err)
		}
	}
	return out
}

// challenge fetches path as a new session with token and returns the
// payment request the response carries (402 or early notice), read from
// its first Payment challenge as the paying client reads it (on the
// tests' private network, in TPT). The challenge is kept for
// credentialFor.
func challenge(t *testing.T, s *site, zone, path, token string) (int, payreq.Request) {
	t.Helper()
	resp, body := (&client{Client: http.DefaultClient, token: token}).get(t, s.url(zone, path), "Accept", "application/json")
	cs, err := payclient.Challenges(resp.Header)
	if err != nil {
		t.Fatalf("%s: no payment request: %v", resp.Status, err)
	}
	pol := payclient.Policy{NetworkPassphrase: spt.Passphrase, AssetCode: "TPT", AssetIssuer: payIssuer.Address()}
	pr, err := pol.Request(cs[0])
	if err != nil {
		t.Fatalf("%s: challenge %s: %v", resp.Status, cs[0], err)
	}
	var full payreq.Request // a 402's body: the request with its memo, URI and callback
	if json.Unmarshal(body, &full) == nil && full.ID == pr.ID {
		pr = full
	}
	issuedMu.Lock()
	issued[pr.ID] = cs[0]
	issuedMu.Unlock()
	return resp.StatusCode, pr
}

// issued keeps the challenges challenge read, by request id.
var (
	issuedMu sync.Mutex
	issued   = map[payreq.ID]paymentauth.Challenge{}
)

// credentialFor is the Authorization value paying the challenge
// challenge read for request id with the transaction env (pull mode).
func credentialFor(t testing.TB, id payreq.ID, env string) string {
	t.Helper()
	issuedMu.Lock()
	c, ok := issued[id]
	issuedMu.Unlock()
	if !ok {
		t.Fatalf("no challenge read for request %s", id)
	}
	return pull(c, env)
}

// problemCode is the code (last segment of the type) of an RFC 9457
// problem body, or "".
func problemCode(body []byte) string {
	var p paymentauth.Problem
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	return strings.TrimPrefix(p.Type, paymentauth.ProblemBase)
}

// seqOf returns the account's current sequence number.
func seqOf(t testing.TB, l *simledger.Ledger, addr string) int64 {
	t.Helper()
	a, err := l.Account(addr)
	if err != nil {
		t.Fatal(err)
	}
	return a.Sequence
}

// tptOf returns the account's TPT balance in stroops.
func tptOf(t testing.TB, l *simledger.Ledger, addr string) int64 {
	t.Helper()
	b, err := l.Balance(addr, tpt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
