package stellarpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/stellar/go-stellar-sdk/clients/rpcclient"
	"github.com/stellar/go-stellar-sdk/keypair"
)

// BackendRPC settles through a Stellar RPC server.
const BackendRPC = "rpc"

// ErrRPCAnswer means a Stellar RPC answered, but not with what confirms
// the transaction submitted (another hash, an envelope that is not ours,
// a success code the result contradicts). It proves nothing: the settler
// asks again and, if that persists, reports ErrUnavailable.
var ErrRPCAnswer = errors.New("stellarpay: the RPC's answer does not confirm the transaction")

// RPCConfig configures the rpc settlement backend.
type RPCConfig struct {
	// URL is the RPC endpoint, e.g. https://soroban-testnet.stellar.org.
	URL string
	// NetworkPassphrase of the network the RPC serves.
	NetworkPassphrase string
	// FeeAccount pays the fees of SAC payments, which are rebuilt with it
	// as their source: a key holding only XLM, loaded with LoadSeed from a
	// mode-0600 file. The payee's key is never needed.
	FeeAccount *keypair.Full
	// HTTPClient carries the requests (the hoster's tor SOCKS client);
	// nil means a plain client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each request; 20 s when zero.
	Timeout time.Duration
	// Backoff bounds the submissions of one payment.
	Backoff Backoff
	// LedgerClose is the network's ledger close interval, for estimating
	// when an authorization's expiration ledger closes; 5 s when zero.
	LedgerClose time.Duration
	// Poll is the getTransaction interval while waiting; 500 ms when zero.
	Poll time.Duration
	// Wait is how long one submission waits for its ledger; 30 s when zero.
	Wait time.Duration
	// Sleep waits between polls and attempts; nil means a timer that
	// honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnSubmit, if set, is called with the hash of every transaction
	// before it is sent (a rebuilt SAC payment's hash is known only
	// then), so that the caller can record it and finish the settlement
	// with Find after a crash. An error stops the settlement.
	OnSubmit func(p *Payment, txHash string) error
}

// RPCSettler settles payments through a Stellar RPC: classic payment
// envelopes as received, SAC payments rebuilt with the fee account as
// source. It credits only a transaction the RPC shows successful in a
// ledger, and looks a transaction up before it sends it again.
//
// SAC payments from one fee account are settled one at a time: a node
// queues one transaction per source account per ledger, so a second
// would only be told to try again later. Throughput is one SAC payment
// per ledger close per fee account.
type RPCSettler struct {
	cfg    RPCConfig
	client *rpcclient.Client
	// fee serialises the fee account's sequence numbers.
	fee sync.Mutex
	// latest caches the latest ledger for LedgerTime.
	latest ledgerCache
}

// NewRPCSettler checks cfg and returns a settler; it does not contact the
// RPC yet.
func NewRPCSettler(cfg RPCConfig) (*RPCSettler, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: rpc backend needs an http(s) URL, got %q", ErrConfig, cfg.URL)
	}
	if cfg.NetworkPassphrase == "" {
		return nil, fmt.Errorf("%w: rpc backend needs the network passphrase", ErrConfig)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 30 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &RPCSettler{cfg: cfg, client: rpcclient.NewClient(cfg.URL, hc)}, nil
}

// Close releases the RPC client's connections.
func (r *RPCSettler) Close() error { return r.client.Close() }

func (r *RPCSettler) sleep(ctx context.Context, d time.Duration) error {
	if r.cfg.Sleep != nil {
		return r.cfg.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx waits d or until ctx ends (then it returns ctx's error).
// HorizonSettler.sleep is the same wait and can call it.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call bounds one RPC request by the configured timeout.
func (r *RPCSettler) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.Timeout)
}

var (
	_ Settler = (*RPCSettler)(nil)
	_ Finder  = (*RPCSettler)(nil)
)
