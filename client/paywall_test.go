package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/internal/horizonsim"
)

var (
	payer    = spt.Key("payer")
	broke    = spt.Key("broke")
	operator = spt.Key("operator")
	issuer   = spt.Key("issuer")
	tpt      = simledger.Asset{Code: "TPT", Issuer: issuer.Address()}
)

// paywall is a small site that sells its one file per request in rounds
// of `rounds` requests, verifying and settling payments with stellarpay
// against a simulated Horizon: the server side of the wire format, as the
// hoster's metering handler speaks it.
type paywall struct {
	srv     *httptest.Server
	horizon *horizonsim.Server
	proc    *stellarpay.Processor
	price   string
	rounds  int
	notice  bool // send the next request early, when one request is left

	mu        sync.Mutex
	credit    map[string]int // session → requests left
	pending   map[string]pendingRequest
	challenge int // 402s sent
}

type pendingRequest struct {
	session string
	exp     stellarpay.Expected
}

func startPaywall(t *testing.T, notice bool) *paywall {
	t.Helper()
	l, err := simledger.New(simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: issuer.Address(), Balance: "100"},
		{Address: operator.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt}}},
		{Address: payer.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "100"}}},
		{Address: broke.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: tpt, Balance: "0"}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hz, err := horizonsim.Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hz.Close() })
	p := &paywall{horizon: hz, price: "1.5", rounds: 2, notice: notice,
		proc:   &stellarpay.Processor{Settler: stellarpay.NewHorizonSettler(hz.URL, 5*time.Second)},
		credit: map[string]int{}, pending: map[string]pendingRequest{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /file", p.file)
	mux.HandleFunc("POST /pay", p.callback)
	p.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(p.srv.Close)
	return p
}

func (p *paywall) file(w http.ResponseWriter, r *http.Request) {
	session := r.Header.Get(SessionHeader)
	if h := r.Header.Get("Authorization"); h != "" {
		cred, _, err := stellarpay.ParseAuthorization(h)
		if err == nil {
			err = p.settle(r.Context(), cred.ID, cred.XDR)
		}
		if err != nil {
			writeError(w, err)
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.credit[session] == 0 {
		p.challenge++
		pr := p.newRequest(session)
		w.Header().Set(ChallengeHeader, pr.Challenge())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPaymentRequired)
		json.NewEncoder(w).Encode(pr)
		return
	}
	p.credit[session]--
	if p.notice && p.credit[session] == 1 {
		w.Header().Set(NoticeHeader, p.newRequest(session).Challenge())
	}
	w.Write([]byte("the content"))
}

func (p *paywall) callback(w http.ResponseWriter, r *http.Request) {
	env, err := stellarpay.EnvelopeFromForm(w, r)
	if err == nil {
		err = p.settle(r.Context(), r.URL.Query().Get("id"), env)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Write([]byte(`{"status":"paid"}`))
}

func (p *paywall) settle(ctx context.Context, id, env string) error {
	p.mu.Lock()
	pr, ok := p.pending[id]
	p.mu.Unlock()
	if !ok {
		return &stellarpay.Error{Kind: stellarpay.ErrMemo, Message: "no such payment request"}
	}
	if _, err := p.proc.Process(ctx, env, &pr.exp); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, id)
	p.credit[pr.session] += p.rounds
	return nil
}

func writeError(w http.ResponseWriter, err error) {
	e := stellarpay.AsError(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Kind.Status)
	json.NewEncoder(w).Encode(e)
}

// newRequest makes a payment request; it runs under p.mu.
func (p *paywall) newRequest(session string) PaymentRequest {
	var id [32]byte
	rand.Read(id[:])
	hexID := hex.EncodeToString(id[:])
	stroops, _ := stellarpay.ParseAmount(p.price)
	exp := stellarpay.Expected{ID: id, Destination: operator.Address(), AssetCode: "TPT", AssetIssuer: issuer.Address(),
		Amount: stroops, NetworkPassphrase: spt.Passphrase, ExpiresAt: time.Now().Add(5 * time.Minute).Truncate(time.Second)}
	p.pending[hexID] = pendingRequest{session: session, exp: exp}
	uri := url.Values{"destination": {exp.Destination}, "amount": {p.price}, "asset_code": {"TPT"},
		"asset_issuer": {exp.AssetIssuer}, "memo": {base64.StdEncoding.EncodeToString(id[:])}, "memo_type": {"MEMO_HASH"},
		"network_passphrase": {spt.Passphrase}, "callback": {"url:" + p.srv.URL + "/pay?id=" + hexID}}
	return PaymentRequest{ID: hexID, Destination: exp.Destination, AssetCode: "TPT", AssetIssuer: exp.AssetIssuer,
		Amount: p.price, NetworkPassphrase: spt.Passphrase, Bytes: 11 * int64(p.rounds), ExpiresAt: exp.ExpiresAt,
		URI: "web+stellar:pay?" + uri.Encode()}
}

func (p *paywall) challenges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.challenge
}

// newClient returns a client of the paywall paying from key through a
// SOCKS5 proxy that requires credentials.
func newClient(t *testing.T, p *paywall, key *keypair.Full, via PayVia, budget *Budget) (*Client, *socksServer) {
	t.Helper()
	socks := startSOCKS(t, "torplus", "isolate-me")
	hc, err := NewHTTPClient(socks.Addr(), "torplus", "isolate-me", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections) // runs before the proxy's cleanup waits for its connections
	c, err := New(Config{
		HTTP: hc, Horizon: &horizonclient.Client{HorizonURL: p.horizon.URL, HTTP: &http.Client{}}, Key: key,
		Policy: Policy{NetworkPassphrase: spt.Passphrase, AssetCode: "TPT", AssetIssuer: issuer.Address(), Budget: budget},
		PayVia: via, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, socks
}
