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
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/paymentauth"
	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// PayVia selects how a 402 is paid.
type PayVia int

const (
	// ViaAuthorization retries the request with an Authorization: Payment
	// credential (one round trip; the default). Early notices are always
	// paid so, on the next request.
	ViaAuthorization PayVia = iota
	// ViaCallback POSTs the envelope to the request's SEP-7 callback, then
	// retries the request plainly.
	ViaCallback
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
	// Horizon reads our account's sequence number.
	Horizon *horizonclient.Client
	// Key signs payments. Load it with stellarpay.LoadSeed; it is never printed.
	Key *keypair.Full
	// Policy says what we pay and how much.
	Policy Policy
	// Session is the TorPlus-Session token; a random one when empty.
	Session string
	// PayVia selects how 402s are paid.
	PayVia PayVia
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf, if set, receives one line per payment (never a secret).
	Logf func(format string, args ...any)
}

// Client fetches pages and pays for them.
type Client struct {
	http    *http.Client
	horizon *horizonclient.Client
	key     *keypair.Full
	policy  Policy
	session string
	via     PayVia
	now     func() time.Time
	logf    func(string, ...any)

	mu       sync.Mutex // serialises payments (sequence numbers)
	lastSeq  int64
	paid     map[payreq.ID]bool
	unsure   map[payreq.ID]bool // paid, answered without a receipt
	next     *notice            // an early notice, paid with the next request
	payments int
	stroops  int64
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.HTTP == nil || cfg.Horizon == nil:
		return nil, errors.New("client: HTTP and Horizon clients are required")
	case cfg.Key == nil:
		return nil, fmt.Errorf("%w: no key", stellarpay.ErrSeed)
	case cfg.Policy.Budget == nil || cfg.Policy.NetworkPassphrase == "" || cfg.Policy.AssetCode == "" || cfg.Policy.AssetIssuer == "":
		return nil, errors.New("client: policy needs a network, an asset and a budget")
	}
	c := &Client{http: cfg.HTTP, horizon: cfg.Horizon, key: cfg.Key, policy: cfg.Policy, session: cfg.Session,
		via: cfg.PayVia, now: cfg.Now, logf: cfg.Logf, paid: map[payreq.ID]bool{}, unsure: map[payreq.ID]bool{}}
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
	auth, lastPaid := c.payNotice(ctx, page)
	for round := 0; round < 3; round++ {
		resp, err := c.do(ctx, http.MethodGet, page, auth, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusPaymentRequired {
			if auth != "" && resp.Header.Get(paymentauth.HeaderReceipt) == "" {
				c.unconfirmed(lastPaid) // served from what was left; the payment not (yet) taken
			}
			c.onNotice(resp, page)
			return resp, nil
		}
		body, refusal := readRefusal(resp)
		ch, pr, err := c.choose(resp.Header, body)
		if err == nil && lastPaid == (payreq.ID{}) {
			c.retryUnconfirmed(pr.ID)
		}
		if lastPaid != (payreq.ID{}) && (refusal.Code != "" || err != nil || pr.ID == lastPaid) {
			c.forgetSeq() // the payment did not land: trust Horizon's sequence next time
			return nil, refusal
		}
		if err != nil {
			return nil, err
		}
		if auth, err = c.pay(ctx, pr, ch, page, c.via); err != nil {
			return nil, err
		}
		lastPaid = pr.ID
	}
	return nil, fmt.Errorf("%w: still asked to pay after paying twice", ErrRefused)
}

// choose picks what to pay from a response: the first Payment challenge
// our policy accepts (the site lists its fee-sponsored one first), and
// the request it describes, with the SEP-7 URI and callback of the 402's
// JSON body when that names the same request.
func (c *Client) choose(h http.Header, body []byte) (*paymentauth.Challenge, PaymentRequest, error) {
	cs, err := Challenges(h)
	if err != nil {
		return nil, PaymentRequest{}, err
	}
	var first error
	for i := range cs {
		pr, err := c.policy.Request(cs[i])
		if err == nil {
			var js PaymentRequest
			if json.Unmarshal(body, &js) == nil && js.ID == pr.ID {
				pr.URI, pr.Callback, pr.Bytes = js.URI, js.Callback, js.Bytes
			}
			return &cs[i], pr, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, PaymentRequest{}, first
}

// notice is an early notice's request, paid with the next request.
type notice struct {
	ch *paymentauth.Challenge
	pr PaymentRequest
}

// onNotice keeps the request of an early notice: its payment rides on the
// next request, which the site settles before serving it. The page is
// already served, so a failure is logged, not returned: the site will ask
// again with a 402.
func (c *Client) onNotice(resp *http.Response, page *url.URL) {
	if resp.Header.Get("WWW-Authenticate") == "" {
		return
	}
	ch, pr, err := c.choose(resp.Header, nil)
	if err != nil {
		c.logf("early payment request not usable: %v", err)
		return
	}
	c.mu.Lock()
	c.next = &notice{ch, pr}
	c.mu.Unlock()
}

// payNotice pays the early notice kept for the next request, if any, and
// returns the credential to send with it and the request it pays.
func (c *Client) payNotice(ctx context.Context, page *url.URL) (string, payreq.ID) {
	c.mu.Lock()
	n := c.next
	c.next = nil
	c.mu.Unlock()
	if n == nil {
		return "", payreq.ID{}
	}
	auth, err := c.pay(ctx, n.pr, n.ch, page, ViaAuthorization)
	if err != nil || auth == "" {
		if err != nil {
			c.logf("early payment request not paid: %v", err)
		}
		return "", payreq.ID{}
	}
	return auth, n.pr.ID
}

// pay checks pr, signs a payment and sends it via the callback, or
// returns the Authorization value (a Payment credential answering ch) to
// send with the next request.
func (c *Client) pay(ctx context.Context, pr PaymentRequest, ch *paymentauth.Challenge, page *url.URL, via PayVia) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paid[pr.ID] {
		return "", nil // paid already (an early notice repeated)
	}
	chk, err := c.policy.check(pr, page, c.now())
	if err != nil {
		return "", err
	}
	if via == ViaCallback && chk.callback == nil {
		via = ViaAuthorization
	}
	if via == ViaAuthorization && ch == nil {
		return "", fmt.Errorf("%w: no challenge to answer", ErrChallenge)
	}
	if err := c.policy.Budget.reserve(chk.stroops); err != nil {
		return "", err
	}
	env, err := c.sign(chk)
	if err != nil {
		c.policy.Budget.release(chk.stroops)
		return "", err
	}
	c.paid[pr.ID] = true
	c.payments++
	c.stroops += chk.stroops
	c.logf("paying %s %s to %s (request %s)", pr.Amount, pr.AssetCode, pr.Destination, pr.ID)
	if via == ViaAuthorization {
		return paymentauth.Credential{Challenge: *ch,
			Payload: paymentauth.Payload{Type: paymentauth.PayloadTransaction, Transaction: env}}.String(), nil
	}
	form := url.Values{"xdr": {env}}.Encode()
	resp, err := c.do(ctx, http.MethodPost, chk.callback, "", strings.NewReader(form))
	if err != nil {
		c.lastSeq = 0 // unknown outcome: trust Horizon's sequence next time
		return "", fmt.Errorf("client: paying through %s: %w", chk.callback, err)
	}
	if resp.StatusCode/100 != 2 {
		c.lastSeq = 0
		_, r := readRefusal(resp)
		if resp.StatusCode/100 == 4 {
			c.policy.Budget.release(chk.stroops) // refused before reaching the ledger
			c.payments--
			c.stroops -= chk.stroops
			delete(c.paid, pr.ID)
		}
		return "", r
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return "", nil
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

func (c *Client) do(ctx context.Context, method string, u *url.URL, auth string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set(SessionHeader, c.session)
	if auth != "" {
		req.Header.Set("Authorization", auth)
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
	if r.Message == "" {
		r.Message = http.StatusText(resp.StatusCode)
	}
	return body, r
}
