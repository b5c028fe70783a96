package clienttest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/strkey"
	"github.com/stellar/go-stellar-sdk/xdr"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	spt "github.com/torplus/torplus/caddy-module/stellarpay/stellarpaytest"
	"github.com/torplus/torplus/caddy-module/store"
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
	pay    *settlement.Service
	secret []byte // binds the site's Payment challenges
	store  *store.Store
	price  string
	rounds int
	notice bool // send the next request early, when one request is left

	mu        sync.Mutex
	credit    map[string]int       // session → requests left
	pending   map[payreq.ID]string // request → the session it credits
	challenge int                  // 402s sent
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
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "paywall.db"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Paywall{Horizon: hz, price: "1.5", rounds: 2, notice: notice, store: store.New(db, 10*time.Millisecond, nil),
		credit: map[string]int{}, pending: map[payreq.ID]string{}, secret: make([]byte, 32)}
	rand.Read(p.secret)
	p.pay = settlement.New(settlement.Config{Zone: "paywall", Store: p.store,
		Backend: stellarpay.NewHorizonSettler(hz.URL, 5*time.Second), Timeout: 5 * time.Second})
	t.Cleanup(func() { p.pay.Close(); p.store.Close() })
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
		if err := p.credential(r, h, session); err != nil {
			writeError(w, err)
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.credit[session] == 0 {
		p.challenge++
		pr := p.newRequest(session)
		w.Header().Set("WWW-Authenticate", p.challengeOf(r, pr).String())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPaymentRequired)
		json.NewEncoder(w).Encode(pr)
		return
	}
	p.credit[session]--
	if p.notice && p.credit[session] == 1 {
		w.Header().Set("WWW-Authenticate", p.challengeOf(r, p.newRequest(session)).String())
	}
	w.Write([]byte("the content"))
}

// issuer is the site's Payment challenge issuer for the host r names.
func (p *Paywall) issuer(r *http.Request) *paymentauth.Issuer {
	is, _ := paymentauth.NewIssuer(r.Host, p.secret)
	return is
}

// challengeOf is pr as the site's fee-sponsored stellar charge challenge.
func (p *Paywall) challengeOf(r *http.Request, pr client.PaymentRequest) paymentauth.Challenge {
	a, _ := xdr.NewCreditAsset(pr.AssetCode, pr.AssetIssuer)
	id, _ := sac.ContractID(a, pr.NetworkPassphrase)
	c, _ := p.issuer(r).Challenge(paymentauth.Request{Amount: int64(pr.Amount),
		Currency: strkey.MustEncode(strkey.VersionByteContract, id[:]), Recipient: pr.Muxed, ExternalID: pr.ID.String(),
		MethodDetails: paymentauth.MethodDetails{Network: paymentauth.NetworkID(pr.NetworkPassphrase), FeePayer: true}}, pr.ExpiresAt)
	return c
}

// credential settles an Authorization: Payment credential of the site's.
func (p *Paywall) credential(r *http.Request, h, session string) error {
	cred, err := paymentauth.ParseCredential(h)
	if err != nil {
		return &stellarpay.Error{Kind: stellarpay.ErrMalformed, Message: err.Error()}
	}
	req, err := p.issuer(r).Verify(cred, time.Now())
	if err != nil {
		return &stellarpay.Error{Kind: stellarpay.ErrExpired, Message: err.Error()}
	}
	id, err := payreq.ParseID(req.ExternalID)
	if err != nil {
		return &stellarpay.Error{Kind: stellarpay.ErrMemo, Message: err.Error()}
	}
	return p.settle(r.Context(), &id, cred.Payload.Transaction, session)
}

func (p *Paywall) callback(w http.ResponseWriter, r *http.Request) {
	env, err := stellarpay.EnvelopeFromForm(w, r)
	if err == nil {
		err = p.settle(r.Context(), nil, env, r.Header.Get(client.SessionHeader))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Write([]byte(`{"status":"paid"}`))
}

// settle hands the payment to the site's settlement (the one the torplus
// handler uses) and, once it is credited, gives its session the rounds.
func (p *Paywall) settle(ctx context.Context, want *payreq.ID, env, from string) error {
	rc, err := p.pay.Pay(ctx, env, want, from)
	if err != nil {
		return err
	}
	id, _ := payreq.ParseID(rc.ID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if session, ok := p.pending[id]; ok {
		delete(p.pending, id)
		p.credit[session] += p.rounds
	}
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
	pr.Muxed = payreq.MuxedAddress(pr.Destination, pr.ID.Number())
	pr.URI = pr.SEP7()
	p.pending[pr.ID] = session
	p.store.QueuePaymentRequest(store.PaymentRequest{Request: pr, Zone: "paywall", Session: session,
		CreatedAt: time.Now(), State: store.Pending})
	return pr
}

// Challenges counts the 402s the site sent.
func (p *Paywall) Challenges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.challenge
}
