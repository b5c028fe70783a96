package main

import (
	"fmt"
	"io"
)

// initSettings are what "hoster init" tells the owner to configure.
type initSettings struct {
	payTo, issuer, code, network string
	rpc, horizon                 string // the server payments settle through: rpc when set
	feeAddress, feeFile          string
}

// printSettings prints the settings as .env lines (the TORPLUS_* names
// compose and "hoster serve" read) or as a torplus Caddyfile block.
func printSettings(w io.Writer, format string, s initSettings) {
	if format == "caddyfile" {
		backend := "backend horizon " + s.horizon
		if s.rpc != "" {
			backend = "backend rpc\n\tstellar_rpc " + s.rpc
		}
		fmt.Fprintf(w, `# the torplus handler of your site block:
torplus {
	destination %s
	asset %s %s
	network "%s"
	price 1
	%s
	fee_account_seed_file %s
	# with the onion app's stellar_socks on: stellar_socks unix/<data dir>/stellar-socks.sock
}
`, s.payTo, s.code, s.issuer, mustPassphrase(s.network), backend, s.feeFile)
		return
	}
	server := "TORPLUS_HORIZON_URL=" + s.horizon
	if s.rpc != "" {
		server = "TORPLUS_STELLAR_RPC=" + s.rpc
	}
	fmt.Fprintf(w, `# .env lines (compose/.env; or export them before "hoster serve"):
TORPLUS_DEMO=false
TORPLUS_STELLAR_NETWORK=%s
TORPLUS_PAY_TO=%s
TORPLUS_ASSET_CODE=%s
TORPLUS_ASSET_ISSUER=%s
%s
TORPLUS_FEE_ACCOUNT_SEED_FILE=%s
TORPLUS_PRICE=1
# the fee account %s pays the fees of the payments the hoster submits.
# compose: copy its seed file to compose/secrets/fee.seed (install -m 0600 -o 10001 %s compose/secrets/fee.seed)
# and set TORPLUS_FEE_ACCOUNT_SEED_FILE=/run/secrets/torplus/fee.seed instead.
`, s.network, s.payTo, s.code, s.issuer, server, s.feeFile, s.feeAddress, s.feeFile)
}

// mustPassphrase is the passphrase of a network name already checked.
func mustPassphrase(name string) string {
	p, _ := networkPassphrase(name)
	return p
}
