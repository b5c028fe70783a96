package meter

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/simledger"
)

// DefaultSettleTimeout bounds one settlement (all the backend's attempts).
const DefaultSettleTimeout = settlement.DefaultTimeout

// offlineLedgers keeps the offline backends' in-process ledgers across
// config reloads, keyed by their genesis: a reload with the same accounts
// keeps the balances and sequence numbers the ledger has reached.
var offlineLedgers = caddy.NewUsagePool()

// pooledSettler is a Settler kept in offlineLedgers.
type pooledSettler struct{ *stellarpay.OfflineSettler }

// Destruct lets the ledger go; it lives in memory only.
func (pooledSettler) Destruct() error { return nil }

// provisionPayments sets up the settlement backend and checks the
// operator's seed, if one is configured. It never logs the seed. The
// backend is the zone's own: only this zone's requests are settled on it.
func (h *Handler) provisionPayments() error {
	h.payPath = endpointPath(h.PaymentEndpoint)
	if h.SeedFile != "" || h.SeedEnv != "" {
		kp, err := stellarpay.LoadSeed(h.SeedFile, h.SeedEnv)
		if err != nil {
			return fmt.Errorf("torplus: operator seed: %w", err)
		}
		if kp.Address() != h.Destination {
			return fmt.Errorf("torplus: operator seed: %w: it is the seed of %s, not of the destination %s",
				stellarpay.ErrSeed, kp.Address(), h.Destination)
		}
	}
	if h.settleTimeout = time.Duration(h.SettleTimeout); h.settleTimeout <= 0 {
		h.settleTimeout = DefaultSettleTimeout
	}
	switch h.Backend {
	case "":
		h.log.Warn("torplus: no payment backend configured; the payment endpoint answers 503 (set backend offline or horizon)")
		return nil
	case stellarpay.BackendHorizon:
		hc, err := h.stellarClient()
		if err != nil {
			return err
		}
		s, err := stellarpay.NewSettler(stellarpay.BackendConfig{Backend: h.Backend, HorizonURL: h.HorizonURL,
			Timeout: h.settleTimeout / 3, HTTPClient: hc})
		if err != nil {
			return fmt.Errorf("torplus: %w", err)
		}
		h.backend = s
		return nil
	case stellarpay.BackendRPC:
		return h.provisionRPC()
	case stellarpay.BackendOffline:
		g, err := h.offlineGenesis()
		if err != nil {
			return err
		}
		key, _ := json.Marshal(g)
		v, _, err := offlineLedgers.LoadOrNew(string(key), func() (caddy.Destructor, error) {
			s, err := stellarpay.NewSettler(stellarpay.BackendConfig{Backend: stellarpay.BackendOffline, Ledger: g})
			if err != nil {
				return nil, err
			}
			return pooledSettler{s.(*stellarpay.OfflineSettler)}, nil
		})
		if err != nil {
			return fmt.Errorf("torplus: %w", err)
		}
		h.offlineKey = string(key)
		h.backend = v.(pooledSettler).OfflineSettler
		return nil
	}
	return fmt.Errorf("torplus: %w: unknown backend %q (offline, horizon or rpc)", stellarpay.ErrConfig, h.Backend)
}

// offlineGenesis returns the offline ledger's accounts, from the config or
// its file, on the handler's network.
func (h *Handler) offlineGenesis() (simledger.Genesis, error) {
	var g simledger.Genesis
	switch {
	case h.OfflineLedger != nil && h.OfflineLedgerFile != "":
		return g, fmt.Errorf("torplus: %w: set offline_ledger or offline_ledger_file, not both", stellarpay.ErrConfig)
	case h.OfflineLedger != nil:
		g = *h.OfflineLedger
	case h.OfflineLedgerFile != "":
		b, err := os.ReadFile(h.OfflineLedgerFile)
		if err != nil {
			return g, fmt.Errorf("torplus: %w: %v", stellarpay.ErrConfig, err)
		}
		if err := json.Unmarshal(b, &g); err != nil {
			return g, fmt.Errorf("torplus: %w: %s: %v", stellarpay.ErrConfig, h.OfflineLedgerFile, err)
		}
	default:
		return g, fmt.Errorf("torplus: %w: the offline backend needs its accounts (offline_ledger or offline_ledger_file)", stellarpay.ErrConfig)
	}
	if g.NetworkPassphrase == "" {
		g.NetworkPassphrase = h.Network
	}
	if g.NetworkPassphrase != h.Network {
		return g, fmt.Errorf("torplus: %w: the offline ledger's network %q is not the handler's %q", stellarpay.ErrConfig, g.NetworkPassphrase, h.Network)
	}
	return g, nil
}

// startPayments starts the zone's settlement on the backend (a Service
// with no backend answers every payment 503).
func (h *Handler) startPayments() error {
	h.payments = settlement.New(settlement.Config{Zone: h.Zone, Store: h.st.store, Backend: h.backend,
		Timeout: h.settleTimeout, Now: h.st.now, Failures: h.FailedPayments, Log: h.log})
	return h.startWatcher()
}

// cleanupPayments stops the zone's settlement (unknown outcomes stay
// settling in the store for the next config's) and gives back the
// offline ledger.
func (h *Handler) cleanupPayments() error {
	if h.payments != nil {
		h.payments.Close()
	}
	if r, ok := h.backend.(*stellarpay.RPCSettler); ok {
		_ = r.Close() // idle connections only: nothing is in flight once payments closed
	}
	if h.offlineKey == "" {
		return nil
	}
	_, err := offlineLedgers.Delete(h.offlineKey)
	return err
}
