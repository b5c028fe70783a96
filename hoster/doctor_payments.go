package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/torplus/torplus/caddy-module/meter"
	"github.com/torplus/torplus/caddy-module/stellarpay"
)

// MaxClockSkew is the largest difference from the Stellar server's clock doctor
// accepts: payment requests expire and transactions carry time bounds, so
// a clock off by minutes makes good payments fail.
const MaxClockSkew = 30 * time.Second

// paymentFindings reads the running hoster's torplus handler from its
// admin API and checks its Stellar server (RPC or Horizon), network,
// payee, x402 facilitator (if any) and clock.
func paymentFindings(ctx context.Context, admin, dataDir string) []finding {
	h, err := runningMeter(ctx, admin, dataDir)
	if err != nil {
		return []finding{{what: "cannot read the running config from the admin API " + adminName(admin, dataDir) + ": " + err.Error(),
			fix: "give the hoster's --admin address to doctor (or TORPLUS_ADMIN); payments were not checked"}}
	}
	if h == nil {
		return []finding{{ok: true, what: "metering is off (no --pay-to): no payments to check"}}
	}
	rpc, server := meterRPC(h), h.HorizonURL
	switch h.Backend {
	case "horizon":
	case "rpc":
		server = rpc
	default:
		return []finding{{ok: true, what: "payments settle on an in-process ledger (" + h.Backend + "): nothing to reach"}}
	}
	// Through the hoster's own tor when its handler goes that way: doctor
	// must not show the server's address to the RPC either.
	hc := &http.Client{Timeout: 20 * time.Second}
	if socks := meterSocks(h); socks != "" {
		var err error
		if hc, err = stellarpay.TorHTTPClient(socks, stellarpay.StellarIsolation, 60*time.Second); err != nil {
			return []finding{{what: "the running handler's stellar_socks " + socks + ": " + err.Error(), fix: "check the torplus handler's stellar_socks"}}
		}
	}
	c := newStellarCheck(ctx, hc, rpc, h.HorizonURL, h.Network, h.AssetCode, h.AssetIssuer)
	out := []finding{c.reachable()}
	if !out[0].ok {
		return out
	}
	if acc, f := c.account("payee", h.Destination); acc == nil {
		out = append(out, f)
	} else {
		out = append(out, f, c.trusts("payee", acc))
	}
	if f, ok := facilitatorFinding(ctx, hc, h); ok {
		out = append(out, f)
	}
	return append(out, clockFinding(ctx, hc, server))
}

// runningMeter is the torplus handler of the running config's onion
// server, or nil when there is none.
func runningMeter(ctx context.Context, admin, dataDir string) (*meter.Handler, error) {
	base, client, err := adminClient(admin, dataDir)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/config/apps/http/servers/onion/routes", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	var routes []struct {
		Handle []json.RawMessage `json:"handle"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&routes); err != nil {
		return nil, err
	}
	for _, r := range routes {
		for _, raw := range r.Handle {
			var name struct {
				Handler string `json:"handler"`
			}
			var h meter.Handler
			if json.Unmarshal(raw, &name) == nil && name.Handler == "torplus" && json.Unmarshal(raw, &h) == nil {
				return &h, nil
			}
		}
	}
	return nil, nil
}

// clockFinding compares this machine's clock with the Date of the
// Stellar server's answer (Horizon or RPC: any answer carries one).
func clockFinding(ctx context.Context, hc *http.Client, serverURL string) finding {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, serverURL, nil)
	if err != nil {
		return finding{what: "clock not checked: " + err.Error(), fix: "check the Stellar server's URL"}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return finding{what: "clock not checked: " + err.Error(), fix: "check the connection to the Stellar server"}
	}
	resp.Body.Close()
	theirs, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return finding{ok: true, what: "clock not checked: the Stellar server sends no Date"}
	}
	skew := time.Since(theirs).Round(time.Second)
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		return finding{what: fmt.Sprintf("this machine's clock is %s off the Stellar server's", skew),
			fix: "turn on time synchronisation (timedatectl set-ntp true, or install chrony)"}
	}
	return finding{ok: true, what: "this machine's clock agrees with the Stellar server's (within " + MaxClockSkew.String() + ")"}
}
