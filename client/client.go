package client

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/horizonclient"
	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/x402"
	"github.com/torplus/torplus/client/wallet"
)

// SeedEnv is the environment variable the paying client's seed is read
// from when no seed file is given.
const SeedEnv = "TORPLUS_STELLAR_SEED"

// ErrRefused is wrapped by a *RefusedError.
var ErrRefused = errors.New("client: the site refused the payment")

// RefusedError is a site's answer to a payment it did not accept.
type RefusedError struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code and Message are the site's {"error", "message"}, if it sent them.
	Code, Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("client: the site refused the payment (HTTP %d %s): %s", e.Status, e.Code, e.Message)
}

// Unwrap makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// Config configures a Client.
type Config struct {
	// HTTP fetches pages and calls back; use NewHTTPClient for Tor.
	HTTP *http.Client
	// RPC is the Stellar RPC the standard formats pay through (SAC
	// transfers: simulated there, and submitted there in push mode). Use
	// one reached through Tor too, or the RPC's operator learns which
	// account pays which site when.
	RPC *rpcclient.Client
	// Horizon reads our account's sequence number for TorPlus's own
	// classic payments (FormatClassic, FormatCallback).
	Horizon *horizonclient.Client
	// Key signs payments. Load it with stellarpay.LoadSeed; it is never printed.
	Key *keypair.Full
	// Policy says what we pay and how much.
	Policy Policy
	// Session is the TorPlus-Session token; a random one when empty.
	Session string
	// Formats is the order of preference of the ways to pay; empty means
	// DefaultFormats. Formats the client has no backend for (RPC for the
	// SAC ones, Horizon for the classic ones) are dropped.
	Formats []Format
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf, if set, receives one line per payment (never a secret).
	Logf func(format string, args ...any)
}

// Client fetches pages and pays for them.
type Client struct {
	http    *http.Client
	horizon *horizonclient.Client
	wallet  *wallet.Wallet // nil without an RPC
	key     *keypair.Full
	policy  Policy
	session string
	formats []Format
	now     func() time.Time
	logf    func(string, ...any)

	mu       sync.Mutex // serialises payments (sequence numbers)
	lastSeq  int64
	paid     map[payreq.ID]bool
	unsure   map[payreq.ID]bool // paid, answered without a receipt
	next     *offer             // an early notice, paid with the next request
	payments int
	stroops  int64
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.HTTP == nil || (cfg.Horizon == nil && cfg.RPC == nil):
		return nil, errors.New("client: an HTTP client and a Stellar RPC or Horizon client are required")
	case cfg.Key == nil:
		return nil, fmt.Errorf("%w: no key", stellarpay.ErrSeed)
	case cfg.Policy.Budget == nil || cfg.Policy.NetworkPassphrase == "" || cfg.Policy.AssetCode == "" || cfg.Policy.AssetIssuer == "":
		return nil, errors.New("client: policy needs a network, an asset and a budget")
	}
	c := &Client{http: cfg.HTTP, horizon: cfg.Horizon, key: cfg.Key, policy: cfg.Policy, session: cfg.Session,
		now: cfg.Now, logf: cfg.Logf, paid: map[payreq.ID]bool{}, unsure: map[payreq.ID]bool{}}
	if cfg.RPC != nil {
		c.wallet = &wallet.Wallet{Client: cfg.RPC, Passphrase: cfg.Policy.NetworkPassphrase}
	}
	formats := cfg.Formats
	if len(formats) == 0 {
		formats = DefaultFormats
	}
	for _, f := range formats {
		if f.sac() && c.wallet != nil || !f.sac() && c.horizon != nil {
			c.formats = append(c.formats, f)
		}
	}
	if len(c.formats) == 0 {
		return nil, fmt.Errorf("%w: none of %v can be paid with the RPC and Horizon given", ErrFormat, formats)
	}
	if c.session == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		c.session = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	return c, nil
}

// Address returns the paying account.
func (c *Client) Address() string { return c.key.Address() }

// Paid returns how many payments were sent and their total in stroops.
func (c *Client) Paid() (count int, stroops int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.payments, c.stroops
}

// Get fetches rawURL, paying the payment requests it meets: a 402 is paid
// and the request retried; an early notice on a 2xx response is paid with
// the next request. The caller closes the body.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	page, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	cred := c.payNotice(ctx, page)
	for round := 0; round < 3; round++ {
		resp, err := c.do(ctx, http.MethodGet, page, cred, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusPaymentRequired {
			if cred.value != "" && !cred.confirmed(resp.Header) {
				c.unconfirmed(cred.id) // served from what was left; the payment not (yet) taken
			}
			c.onNotice(resp, page)
			return resp, nil
		}
		body, refusal := readRefusal(resp)
		o, err := c.choose(resp.Header, body, page, c.formats)
		if err == nil && cred.id == (payreq.ID{}) {
			c.retryUnconfirmed(o.pr.ID)
		}
		if cred.id != (payreq.ID{}) && (refusal.Code != "" || err != nil || o.pr.ID == cred.id) {
			c.forgetSeq() // the payment did not land: trust Horizon's sequence next time
			return nil, refusal
		}
		if err != nil {
			return nil, err
		}
		if cred, err = c.pay(ctx, o, page, false); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: still asked to pay after paying twice", ErrRefused)
}

// credential is a payment sent with a request: the header that carries it
// (empty when it went through the SEP-7 callback) and the request it pays.
type credential struct {
	header, value string
	id            payreq.ID
}

// confirmed reports whether a served response took the payment: a
// Payment-Receipt, or x402's PAYMENT-RESPONSE saying success.
func (cr credential) confirmed(h http.Header) bool {
	if cr.header == x402.HeaderSignature {
		s, err := x402.DecodeResponse(h.Get(x402.HeaderResponse))
		return err == nil && s.Success
	}
	return h.Get(paymentauth.HeaderReceipt) != ""
}

// unconfirmed notes that the payment of request id was answered without
// a receipt: the site served the request from what was left, and the
// payment was refused or is still being settled.
func (c *Client) unconfirmed(id payreq.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unsure[id] = true
	c.lastSeq = 0
}

// retryUnconfirmed lets a 402 for a request whose payment was never
// confirmed be paid again: that payment did not buy the round, and the
// next attempt's answer says why. The budget stays spent: the first
// payment may still land.
func (c *Client) retryUnconfirmed(id payreq.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unsure[id] {
		delete(c.unsure, id)
		delete(c.paid, id)
	}
}

func (c *Client) forgetSeq() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastSeq = 0
}

func (c *Client) do(ctx context.Context, method string, u *url.URL, cred credential, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set(SessionHeader, c.session)
	if cred.value != "" {
		req.Header.Set(cred.header, cred.value)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.http.Do(req)
}

// readRefusal reads (a bounded part of) a refusal's body, closes it and
// returns the body and the refusal it states: an RFC 9457 problem (Code
// the last segment of its type, Message its detail or title) or our JSON
// {"error", "message"}.
func readRefusal(resp *http.Response) ([]byte, *RefusedError) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	r := &RefusedError{Status: resp.StatusCode}
	var j struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Detail  string `json:"detail"`
	}
	if json.Unmarshal(body, &j) == nil {
		r.Code, r.Message = j.Error, j.Message
		if code, ok := strings.CutPrefix(j.Type, paymentauth.ProblemBase); ok {
			r.Code, r.Message = code, cmp.Or(j.Detail, j.Title)
		}
	}
	if s, err := x402.DecodeResponse(resp.Header.Get(x402.HeaderResponse)); err == nil && !s.Success && r.Code == "" {
		r.Code = s.ErrorReason // an x402 refusal, whatever the body
	}
	if r.Message == "" {
		r.Message = http.StatusText(resp.StatusCode)
	}
	return body, r
}
