package meter

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/xdr"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/settlement"
	"github.com/torplus/torplus/caddy-module/stellarpay"
	"github.com/torplus/torplus/caddy-module/stellarpay/sac"
)

// stellarRequestTimeout bounds one request to the RPC or Horizon when
// no settle_timeout says otherwise (a third of it, as for Horizon).
const stellarRequestTimeout = DefaultSettleTimeout / 3

// stellarClient is the HTTP client of the backend's Stellar traffic:
// through tor's SOCKS port when stellar_socks is set (its own isolation,
// StellarIsolation), else nil (a direct client).
func (h *Handler) stellarClient() (*http.Client, error) {
	if h.StellarSOCKS == "" {
		return nil, nil
	}
	socks := h.StellarSOCKS
	if p, ok := strings.CutPrefix(socks, "unix/"); ok { // Caddy's spelling of a unix socket
		socks = "unix:" + p
	}
	c, err := stellarpay.TorHTTPClient(socks, stellarpay.StellarIsolation, h.settleTimeout/3)
	if err != nil {
		return nil, fmt.Errorf("torplus: stellar_socks: %w", err)
	}
	return c, nil
}

// provisionRPC sets up the rpc backend: the Stellar RPC at stellar_rpc,
// SAC payments' fees paid by the fee account (fee_account_seed_file,
// mode 0600, never logged; the payee's seed is never needed), every
// transaction it sends recorded by the zone's settlement first.
func (h *Handler) provisionRPC() error {
	hc, err := h.stellarClient()
	if err != nil {
		return err
	}
	cfg := stellarpay.RPCConfig{URL: h.StellarRPC, NetworkPassphrase: h.Network, HTTPClient: hc,
		Timeout: max(h.settleTimeout/3, time.Second),
		// h.payments is set (startPayments) before the first payment.
		OnSubmit: func(p *stellarpay.Payment, hash string) error { return h.payments.RecordSubmission(p, hash) }}
	if h.FeeAccountSeedFile != "" {
		if cfg.FeeAccount, err = stellarpay.LoadSeed(h.FeeAccountSeedFile, ""); err != nil {
			return fmt.Errorf("torplus: fee account: %w", err)
		}
	} else {
		h.log.Warn("torplus: no fee_account_seed_file: token-contract (SAC) payments posted to the site are refused; wallet payments seen on the ledger still credit")
	}
	s, err := stellarpay.NewRPCSettler(cfg)
	if err != nil {
		return fmt.Errorf("torplus: %w", err)
	}
	h.backend = s
	contract, err := h.assetContract()
	if err != nil {
		return err
	}
	fields := []zap.Field{zap.String("zone", h.Zone), zap.String("asset", h.AssetCode+":"+h.AssetIssuer),
		zap.String("contract", contract.String()), zap.String("rpc", h.StellarRPC), zap.Bool("through_tor", hc != nil)}
	if cfg.FeeAccount != nil {
		fields = append(fields, zap.String("fee_account", cfg.FeeAccount.Address()))
	}
	h.log.Info("torplus: settling through Stellar RPC", fields...)
	return nil
}

// assetContract is the address (C…) of the asset's Stellar Asset Contract
// on the handler's network.
func (h *Handler) assetContract() (sac.Address, error) {
	asset, err := h.asset()
	if err != nil {
		return sac.Address{}, err
	}
	id, err := sac.ContractID(asset, h.Network)
	if err != nil {
		return sac.Address{}, fmt.Errorf("torplus: %w: contract of %s: %v", stellarpay.ErrConfig, h.AssetCode, err)
	}
	return sac.Address{Contract: true, Key: id}, nil
}

func (h *Handler) asset() (xdr.Asset, error) {
	a, err := xdr.NewCreditAsset(h.AssetCode, h.AssetIssuer)
	if err != nil {
		return a, fmt.Errorf("torplus: %w: asset %s:%s: %v", stellarpay.ErrConfig, h.AssetCode, h.AssetIssuer, err)
	}
	return a, nil
}

// fastestClose is the shortest ledger close a network is assumed to
// have, to turn a request's lifetime into ledgers (pubnet closes about
// every 5-6 s).
const fastestClose = time.Second

// lookback is how many ledgers the zone's very first ledger read goes
// back: a request's lifetime and as much again, at the fastest close.
func lookback(ttl time.Duration) uint32 {
	return uint32(min(2*ttl/fastestClose, 1<<20))
}

// startWatcher starts the zone's ledger watcher with the rpc backend:
// wallets' payments to a request's muxed address or memo credit it.
func (h *Handler) startWatcher() error {
	r, ok := h.backend.(*stellarpay.RPCSettler)
	if !ok {
		return nil
	}
	asset, err := h.asset()
	if err != nil {
		return err
	}
	err = h.payments.WatchLedger(settlement.WatchConfig{Client: r.RPCClient(), Asset: asset, Passphrase: h.Network,
		Payee: h.Destination, Interval: time.Duration(h.WatchInterval), Lookback: lookback(time.Duration(h.RequestTTL))})
	if err != nil {
		return fmt.Errorf("torplus: ledger watcher: %w", err)
	}
	return nil
}
