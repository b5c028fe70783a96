package main

import (
	"strings"

	"github.com/torplus/torplus/caddy-module/meter"
)

// setStellar hands the handler what its Stellar backend needs beyond the
// server's URL: the RPC, the fee account's seed file (checked here, so a
// mistake is named by its flag) and the SOCKS address of the hoster's tor
// that carries all of the backend's traffic.
func setStellar(m *meter.Handler, o meterOptions) error {
	if o.feeSeedFile != "" {
		if _, err := checkFeeSeedFile(o.feeSeedFile, o.payTo); err != nil {
			return err
		}
	}
	m.StellarRPC, m.FeeAccountSeedFile, m.StellarSOCKS = o.rpc, o.feeSeedFile, o.stellarSocks
	return nil
}

// meterRPC is the Stellar RPC URL of a running handler's rpc backend.
func meterRPC(h *meter.Handler) string { return h.StellarRPC }

// meterSocks is the SOCKS address of a running handler's stellar_socks in
// the form stellarpay.TorHTTPClient takes ("unix:<path>" or host:port),
// or "" when it reaches Stellar directly.
func meterSocks(h *meter.Handler) string {
	if p, ok := strings.CutPrefix(h.StellarSOCKS, "unix/"); ok {
		return "unix:" + p
	}
	return h.StellarSOCKS
}
