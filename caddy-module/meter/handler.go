// Package meter is the TorPlus Caddy HTTP handler (module
// http.handlers.torplus, Caddyfile directive `torplus`): it identifies each
// anonymous client, counts the bytes sent to it, gives a free first round,
// asks for payment for every further round before the current one runs out,
// throttles a client that has not paid and then answers 402 Payment
// Required.
//
// Sessions live in memory (a few hundred bytes each), survive config
// reloads in a caddy.UsagePool, and are written to the ledger in batches
// off the request path.
package meter

import (
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/payreq"
	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
	"github.com/torplus/torplus/caddy-module/store"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the Handler's fields.
const (
	DefaultFreeRound    = 5_000_000
	DefaultRoundBytes   = 50_000_000
	DefaultAskAt        = 0.8
	DefaultGrace        = 30 * time.Second
	DefaultThrottleRate = 20_000
	DefaultRequestTTL   = 15 * time.Minute
	DefaultIdleTimeout  = 30 * time.Minute
	DefaultMaxSessions  = 1_000_000
	// DefaultFreeBytesPerMinute is the global free budget: 5 MB rounds
	// for 60 new visitors a minute, about 40 Mbit/s of free traffic.
	DefaultFreeBytesPerMinute = 300_000_000
	DefaultPaymentEndpoint    = "/.well-known/torplus/pay"
	DefaultNetwork            = "Test SDF Network ; September 2015"
	DefaultAssetCode          = "TPT"
)

// The values of Handler.Upgrades.
const (
	UpgradesMeter  = "meter"
	UpgradesRefuse = "refuse"
)

// Handler meters every response that passes through it. It must run before
// the handlers that write responses (file_server, reverse_proxy).
type Handler struct {
	// Zone names the metering state: handlers with the same zone share
	// sessions. Default "default".
	Zone string `json:"zone,omitempty"`

	// FreeRound is the size in bytes of the free first round. 0 means the
	// default, 5 MB; -1 means no free round.
	FreeRound int64 `json:"free_round,omitempty"`
	// RoundBytes is the size in bytes of each paid round (default 50 MB).
	RoundBytes int64 `json:"round_bytes,omitempty"`
	// Price is the amount of the asset one round costs, a decimal with at
	// most 7 places (required).
	Price string `json:"price,omitempty"`
	// Destination is the Stellar account (G…) that receives payments (required).
	Destination string `json:"destination,omitempty"`
	// AssetCode is the code of the asset to pay in (default "TPT").
	AssetCode string `json:"asset_code,omitempty"`
	// AssetIssuer is the Stellar account that issues the asset (required).
	AssetIssuer string `json:"asset_issuer,omitempty"`
	// Network is the Stellar network: "testnet" (the default), "pubnet"
	// or a network passphrase.
	Network string `json:"network,omitempty"`

	// AskAt is the fraction of a round after which responses carry the next
	// payment request (default 0.8).
	AskAt float64 `json:"ask_at,omitempty"`
	// Grace is how long a client past its allowance is served throttled
	// before it gets 402 (default 30s; -1ns for none).
	Grace caddy.Duration `json:"grace,omitempty"`
	// ThrottleRate is the bandwidth, in bytes per second, a client gets
	// during grace (default 20000).
	ThrottleRate int64 `json:"throttle_rate,omitempty"`
	// RequestTTL is how long a payment request stays payable (default 15m).
	RequestTTL caddy.Duration `json:"request_ttl,omitempty"`
	// PaymentEndpoint is where payments are posted: an absolute URL, or a
	// path on the requested host (default "/.well-known/torplus/pay").
	// It is the SEP-7 callback.
	PaymentEndpoint string `json:"payment_endpoint,omitempty"`

	// FreeBytesPerMinute bounds the free bytes served to all clients
	// together, reserved chunk by chunk as they are sent: the Sybil bound
	// on free rounds (every new tor circuit is one). 0 means the default,
	// 300 MB per minute; -1 turns the bound off. A client in its free round
	// past the budget gets 402 with Retry-After.
	FreeBytesPerMinute int64 `json:"free_bytes_per_minute,omitempty"`
	// PoWDifficulty, if > 0, requires a new session to present a
	// proof-of-work stamp with this many leading zero bits before it gets
	// its free round.
	PoWDifficulty int `json:"pow_difficulty,omitempty"`
	// AllowClearnet serves non-Tor clients, keyed by IP address. By default
	// they get 403.
	AllowClearnet bool `json:"allow_clearnet,omitempty"`

	// Upgrades says what happens to a request to switch protocols
	// (WebSocket through reverse_proxy): "meter" (the default) counts,
	// throttles and closes the tunnel at the allowance like any response;
	// "refuse" answers 403.
	Upgrades string `json:"upgrades,omitempty"`

	// IdleTimeout evicts sessions idle for this long from memory, after
	// writing them to the ledger (default 30m).
	IdleTimeout caddy.Duration `json:"idle_timeout,omitempty"`
	// MaxSessions bounds the sessions in memory; new clients past it get
	// 503 (default 1000000).
	MaxSessions int64 `json:"max_sessions,omitempty"`

	// Ledger selects the ledger database (default SQLite in Caddy's data dir).
	Store store.Config `json:"store,omitempty"`

	// Backend settles payments: "offline" (an in-process ledger seeded
	// from OfflineLedger or OfflineLedgerFile, kept across reloads),
	// "horizon" (HorizonURL) or "rpc" (StellarRPC: classic and
	// token-contract payments, and wallets' payments seen on the ledger).
	// Unset: the payment endpoint answers 503.
	Backend string `json:"backend,omitempty"`
	// HorizonURL is the Horizon server of the horizon backend.
	HorizonURL string `json:"horizon_url,omitempty"`
	// StellarRPC is the Stellar RPC endpoint of the rpc backend, e.g.
	// https://soroban-testnet.stellar.org.
	StellarRPC string `json:"stellar_rpc,omitempty"`
	// FeeAccountSeedFile (mode 0600) holds the secret seed of the fee
	// account of the rpc backend: a key holding only XLM that pays the
	// fees of the token-contract (SAC) payments the site submits. It is
	// never logged; the payee's seed is never needed. Without it SAC
	// payments posted to the site are refused.
	FeeAccountSeedFile string `json:"fee_account_seed_file,omitempty"`
	// StellarSOCKS, if set, sends all the backend's Stellar traffic (RPC
	// and Horizon) through this SOCKS5 proxy: tor's SocksPort, as
	// host:port or unix/<path> (unix:<path> too), with its own isolation
	// (stellarpay.StellarIsolation), so whoever runs the RPC sees a tor
	// exit, not the site's server.
	StellarSOCKS string `json:"stellar_socks,omitempty"`
	// Facilitator, if set, is the base URL of an x402 facilitator
	// (POST /settle of x402's facilitator API) that settles the zone's x402
	// payments instead of the hoster's fee account, reached through
	// StellarSOCKS when set. It needs the rpc backend: the payment is still
	// verified at its ledger, and credited only once the facilitator's
	// transaction is seen successful there.
	Facilitator string `json:"facilitator,omitempty"`
	// WatchInterval is how often the rpc backend's ledger watcher asks
	// for new payments to the destination once caught up (default 1s).
	WatchInterval caddy.Duration `json:"watch_interval,omitempty"`
	// OfflineLedger holds the offline backend's accounts (simledger.Genesis;
	// its network defaults to Network).
	OfflineLedger *simledger.Genesis `json:"offline_ledger,omitempty"`
	// OfflineLedgerFile is a JSON file holding OfflineLedger instead.
	OfflineLedgerFile string `json:"offline_ledger_file,omitempty"`
	// SettleTimeout bounds one settlement with the backend, retries
	// included (default 15s); past it the client gets 503 and the handler
	// keeps retrying in the background.
	SettleTimeout caddy.Duration `json:"settle_timeout,omitempty"`
	// SeedFile (mode 0600) or SeedEnv (an environment variable) holds the
	// operator's secret seed. Optional; if set it must be the seed of
	// Destination, or provisioning fails. It is never logged.
	SeedFile string `json:"seed_file,omitempty"`
	SeedEnv  string `json:"seed_env,omitempty"`

	// PaymentSecretFile holds the zone's secret (64 hex digits, mode 0600)
	// that binds its Payment challenge ids. Default: payment-secret-<zone>
	// next to the SQLite store (or in Caddy's data dir), made on first use.
	// Replicas of a zone must share it.
	PaymentSecretFile string `json:"payment_secret_file,omitempty"`

	// FailedPayments bounds payments that fail verification, per payment
	// request and per client; past them payments are answered 429 with
	// Retry-After, unverified (defaults: 5 and 20 a minute).
	FailedPayments settlement.Limits `json:"failed_payments,omitzero"`

	backend       stellarpay.Settler
	payments      *settlement.Service
	payPath       string
	settleTimeout time.Duration
	offlineKey    string
	offers        offers
	policy        *policy
	terms         payreq.Terms
	freeSize      int64
	freeBudget    int64 // bytes per minute; 0: unbounded
	st            *state
	log           *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.torplus", New: func() caddy.Module { return new(Handler) }}
}

// Provision fills in defaults and joins the zone's shared state.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.log = ctx.Logger()
	h.prepare()
	if err := h.Validate(); err != nil {
		return err
	}
	if err := checkErrorRoutes(ctx); err != nil {
		return err
	}
	if err := h.provisionPayments(); err != nil {
		return err
	}
	if err := h.provisionOffers(); err != nil {
		return err
	}
	st, err := acquireState(ctx, h.Zone, h.Store, h.policy, h.freeBudget, h.log)
	if err != nil {
		return fmt.Errorf("torplus: %w", err)
	}
	h.st = st
	if err := h.startPayments(); err != nil {
		return err
	}
	cacheConnections(ctx)
	if reg := ctx.GetMetricsRegistry(); reg != nil {
		if err := st.metrics.register(reg, st.table); err != nil {
			return fmt.Errorf("torplus: metrics: %w", err)
		}
	}
	return nil
}

// prepare fills in defaults and derives the payment terms and policy.
func (h *Handler) prepare() {
	h.setDefaults()
	price, _ := payreq.ParseAmount(h.Price) // Validate reports a bad one
	h.terms = payreq.Terms{Destination: h.Destination, AssetCode: h.AssetCode, AssetIssuer: h.AssetIssuer,
		Amount: price, NetworkPassphrase: h.Network, Bytes: h.RoundBytes, TTL: time.Duration(h.RequestTTL)}
	h.freeSize = max(h.FreeRound, 0)
	h.freeBudget = max(h.FreeBytesPerMinute, 0) // -1: off, which the budget spells 0
	h.policy = &policy{free: h.freeSize, round: h.RoundBytes, askAt: h.AskAt, grace: max(time.Duration(h.Grace), 0),
		prTTL: time.Duration(h.RequestTTL), rate: h.ThrottleRate, idle: time.Duration(h.IdleTimeout),
		max: h.MaxSessions}
}

func (h *Handler) setDefaults() {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&h.FreeRound, DefaultFreeRound)
	def(&h.RoundBytes, DefaultRoundBytes)
	def(&h.ThrottleRate, DefaultThrottleRate)
	def(&h.MaxSessions, DefaultMaxSessions)
	def(&h.FreeBytesPerMinute, DefaultFreeBytesPerMinute)
	durs := []struct {
		v *caddy.Duration
		d time.Duration
	}{{&h.Grace, DefaultGrace}, {&h.RequestTTL, DefaultRequestTTL}, {&h.IdleTimeout, DefaultIdleTimeout}}
	for _, x := range durs {
		if *x.v == 0 {
			*x.v = caddy.Duration(x.d)
		}
	}
	if h.Zone == "" {
		h.Zone = "default"
	}
	if h.Upgrades == "" {
		h.Upgrades = UpgradesMeter
	}
	if h.AskAt == 0 {
		h.AskAt = DefaultAskAt
	}
	if h.AssetCode == "" {
		h.AssetCode = DefaultAssetCode
	}
	if h.Network == "" {
		h.Network = DefaultNetwork
	}
	h.Network, _ = stellarpay.NetworkPassphrase(h.Network) // a name becomes its passphrase
	if h.PaymentEndpoint == "" {
		h.PaymentEndpoint = DefaultPaymentEndpoint
	}
}

// Validate checks the config: payment terms, fractions and sizes.
func (h *Handler) Validate() error {
	if _, err := payreq.ParseAmount(h.Price); err != nil {
		return fmt.Errorf("torplus: price: %w", err)
	}
	if err := h.terms.Validate(); err != nil {
		return fmt.Errorf("torplus: %w", err)
	}
	switch {
	case !(h.AskAt > 0 && h.AskAt < 1): // NaN too
		return fmt.Errorf("torplus: ask_at must be between 0 and 1, not %v", h.AskAt)
	case h.ThrottleRate < 0 || h.MaxSessions < 0:
		return fmt.Errorf("torplus: throttle_rate and max_sessions must not be negative")
	case h.Upgrades != UpgradesMeter && h.Upgrades != UpgradesRefuse:
		return fmt.Errorf("torplus: upgrades must be %q or %q, not %q", UpgradesMeter, UpgradesRefuse, h.Upgrades)
	case h.FreeBytesPerMinute < -1:
		return fmt.Errorf("torplus: free_bytes_per_minute must be -1 (off), 0 (default) or a size")
	case h.PoWDifficulty < 0 || h.PoWDifficulty > 40:
		return fmt.Errorf("torplus: pow_difficulty must be between 0 and 40, not %d", h.PoWDifficulty)
	case h.FreeRound < -1:
		return fmt.Errorf("torplus: free_round must be -1 (none), 0 (default) or a size")
	}
	return h.Store.Validate()
}

// Cleanup leaves the zone's state; the last handler to leave it writes the
// sessions to the ledger.
func (h *Handler) Cleanup() error {
	if err := h.cleanupPayments(); err != nil {
		return err
	}
	if h.st == nil {
		return nil
	}
	lkey, _ := h.Store.Key()
	_, err := states.Delete(stateKey(h.Zone, lkey))
	return err
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
