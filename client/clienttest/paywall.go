package clienttest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/client"
	"github.com/torplus/torplus/internal/horizonsim"
)

// Accounts of the paywall's ledger.
var (
	// Payer holds 100 TPT.
	Payer = spt.Payer
	// Broke trusts TPT but holds none.
	Broke = spt.Key("broke")
	// Operator is the site's account, paid in TPT.
	Operator = spt.Operator
	// Issuer issues TPT.
	Issuer = spt.Issuer
	// TPT is the asset.
	TPT = simledger.Asset{Code: "TPT", Issuer: Issuer.Address()}
)

// Genesis is the accounts of a test ledger: Issuer, Operator (trusting
// TPT), Payer (100 TPT) and Broke (no TPT), on spt.Passphrase.
func Genesis() simledger.Genesis {
	return simledger.Genesis{NetworkPassphrase: spt.Passphrase, Accounts: []simledger.AccountSpec{
		{Address: Issuer.Address(), Balance: "100"},
		{Address: Operator.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: TPT}}},
		{Address: Payer.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: TPT, Balance: "100"}}},
		{Address: Broke.Address(), Balance: "10", Trustlines: []simledger.TrustlineSpec{{Asset: TPT, Balance: "0"}}},
	}}
}

// Paywall is a small site that sells its one file per request in rounds
// of `rounds` requests, verifying and settling payments with stellarpay
// against a simulated Horizon: the server side of the wire format, as the
// hoster's metering handler speaks it.
type Paywall struct {
	// URL is the site's base URL; GET URL+"/file" is the paid page.
	URL string
	// Horizon is the simulated Horizon the site settles on.
	Horizon *horizonsim.Server

	srv    *httptest.Server
	proc   *stellarpay.Processor
	price  string
	rounds int
	notice bool // send the next request early, when one request is left

	mu        sync.Mutex
	credit    map[string]int // session → requests left
	pending   map[string]pendingRequest
	challenge int // 402s sent
}

type pendingRequest struct {
	session string
	exp     payreq.Request
}

// StartHorizon starts a simulated Horizon on a fresh Genesis ledger; it
// stops when the test ends.
func StartHorizon(t testing.TB) *horizonsim.Server {
	t.Helper()
	l, err := simledger.New(Genesis(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hz, err := horizonsim.Start(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hz.Close() })
	return hz
}

// StartPaywall starts the site and its Horizon; they stop when the test
// ends. With notice the site sends the next payment request early.
func StartPaywall(t testing.TB, notice bool) *Paywall {
	t.Helper()
	hz := StartHorizon(t)
	p := &Paywall{Horizon: hz, price: "1.5", rounds: 2, notice: notice,
		proc:   &stellarpay.Processor{Settler: stellarpay.NewHorizonSettler(hz.URL, 5*time.Second)},
		credit: map[string]int{}, pending: map[string]pendingRequest{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /file", p.file)
	mux.HandleFunc("POST /pay", p.callback)
	p.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func (p *Paywall) file(w http.ResponseWriter, r *http.Request) {
	session := r.Header.Get(client.SessionHeader)
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
		w.Header().Set(client.ChallengeHeader, pr.Challenge())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPaymentRequired)
		json.NewEncoder(w).Encode(pr)
		return
	}
	p.credit[session]--
	if p.notice && p.credit[session] == 1 {
		w.Header().Set(client.NoticeHeader, p.newRequest(session).Challenge())
	}
	w.Write([]byte("the content"))
}

func (p *Paywall) callback(w http.ResponseWriter, r *http.Request) {
	env, err := stellarpay.EnvelopeFromForm(w, r)
	var id [32]byte
	if err == nil {
		id, err = stellarpay.RequestID(env)
	}
	if err == nil {
		err = p.settle(r.Context(), hex.EncodeToString(id[:]), env)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Write([]byte(`{"status":"paid"}`))
}

func (p *Paywall) settle(ctx context.Context, id, env string) error {
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
func (p *Paywall) newRequest(session string) client.PaymentRequest {
	price, _ := payreq.ParseAmount(p.price)
	pr := client.PaymentRequest{ID: payreq.NewID(), Method: payreq.Method, Callback: p.srv.URL + "/pay",
		Destination: Operator.Address(), AssetCode: "TPT", AssetIssuer: Issuer.Address(),
		Amount: price, NetworkPassphrase: spt.Passphrase, Bytes: 11 * int64(p.rounds),
		ExpiresAt: time.Now().Add(5 * time.Minute).Truncate(time.Second)}
	pr.URI = pr.SEP7()
	p.pending[pr.ID.String()] = pendingRequest{session: session, exp: pr}
	return pr
}

// Challenges counts the 402s the site sent.
func (p *Paywall) Challenges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.challenge
}
