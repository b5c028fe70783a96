package main

import (
	"fmt"
	"io"
)

// initSettings are what "hoster init" tells the owner to configure.
type initSettings struct {
	payTo, issuer, code, network, horizon, feeAddress string
}

// printSettings prints the settings as .env lines (the TORPLUS_* names
// compose and "hoster serve" read) or as a torplus Caddyfile block.
func printSettings(w io.Writer, format string, s initSettings) {
	if format == "caddyfile" {
		fmt.Fprintf(w, `# the torplus handler of your site block:
torplus {
	destination %s
	asset %s %s
	network "%s"
	price 1
	backend horizon %s
}
`, s.payTo, s.code, s.issuer, mustPassphrase(s.network), s.horizon)
		return
	}
	fmt.Fprintf(w, `# .env lines (compose/.env; or export them before "hoster serve"):
TORPLUS_DEMO=false
TORPLUS_STELLAR_NETWORK=%s
TORPLUS_PAY_TO=%s
TORPLUS_ASSET_CODE=%s
TORPLUS_ASSET_ISSUER=%s
TORPLUS_HORIZON_URL=%s
TORPLUS_PRICE=1
# the fee account %s (seed in the keys folder) pays the fees of sponsored payments
`, s.network, s.payTo, s.code, s.issuer, s.horizon, s.feeAddress)
}

// mustPassphrase is the passphrase of a network name already checked.
func mustPassphrase(name string) string {
	p, _ := networkPassphrase(name)
	return p
}
