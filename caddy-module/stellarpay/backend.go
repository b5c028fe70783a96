package stellarpay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// Backend names.
const (
	// BackendOffline settles on an in-process ledger (the default).
	BackendOffline = "offline"
	// BackendHorizon settles through a Horizon server.
	BackendHorizon = "horizon"
)

// ErrConfig means a BackendConfig is unusable.
var ErrConfig = errors.New("stellarpay: invalid settlement backend config")

// BackendConfig selects and configures the settlement backend. The Caddy
// module maps its JSON/Caddyfile config onto it.
type BackendConfig struct {
	// Backend is "offline" (default) or "horizon".
	Backend string
	// HorizonURL is the Horizon server for the horizon backend, e.g.
	// https://horizon-testnet.stellar.org.
	HorizonURL string
	// Timeout bounds each Horizon request; 20s when zero.
	Timeout time.Duration
	// HTTPClient carries the horizon backend's requests (the hoster's tor
	// SOCKS client); nil means a plain client. The rpc backend takes its
	// own in RPC.HTTPClient.
	HTTPClient *http.Client
	// Backoff bounds the retries when Horizon cannot be reached.
	Backoff Backoff
	// RPC configures the rpc backend.
	RPC RPCConfig
	// Ledger seeds the offline backend's ledger: the network passphrase,
	// the operator's and the issuer's accounts, and any demo payers.
	Ledger simledger.Genesis
}

// NewSettler builds the backend cfg describes. An offline ledger lives as
// long as the returned settler: keep it across config reloads (a Caddy
// module keeps it in a caddy.UsagePool) or balances start over.
func NewSettler(cfg BackendConfig) (Settler, error) {
	switch cfg.Backend {
	case "", BackendOffline:
		if len(cfg.Ledger.Accounts) == 0 {
			return nil, fmt.Errorf("%w: the offline ledger needs accounts (at least the operator and the asset issuer)", ErrConfig)
		}
		s, err := NewOfflineSettler(cfg.Ledger)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		return s, nil
	case BackendHorizon:
		u, err := url.Parse(cfg.HorizonURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: horizon backend needs an http(s) URL, got %q", ErrConfig, cfg.HorizonURL)
		}
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = 20 * time.Second
		}
		h := NewHorizonSettler(cfg.HorizonURL, timeout)
		if cfg.HTTPClient != nil {
			h.Client.HTTP = cfg.HTTPClient
		}
		h.Backoff = cfg.Backoff
		return h, nil
	case BackendRPC:
		return NewRPCSettler(cfg.RPC)
	}
	return nil, fmt.Errorf("%w: unknown backend %q (offline, horizon or rpc)", ErrConfig, cfg.Backend)
}
