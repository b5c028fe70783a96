package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/torplus/torplus/caddy-module/meter"
)

// MaxClockSkew is the largest difference from Horizon's clock doctor
// accepts: payment requests expire and transactions carry time bounds, so
// a clock off by minutes makes good payments fail.
const MaxClockSkew = 30 * time.Second

// paymentFindings reads the running hoster's torplus handler from its
// admin API and checks its Horizon, network, payee and clock.
func paymentFindings(ctx context.Context, admin, dataDir string) []finding {
	h, err := runningMeter(ctx, admin, dataDir)
	if err != nil {
		return []finding{{what: "cannot read the running config from the admin API " + adminName(admin, dataDir) + ": " + err.Error(),
			fix: "give the hoster's --admin address to doctor (or TORPLUS_ADMIN); payments were not checked"}}
	}
	if h == nil {
		return []finding{{ok: true, what: "metering is off (no --pay-to): no payments to check"}}
	}
	if h.Backend != "horizon" {
		return []finding{{ok: true, what: "payments settle on an in-process ledger (" + h.Backend + "): nothing to reach"}}
	}
	c := newStellarCheck(h.HorizonURL, h.Network, h.AssetCode, h.AssetIssuer)
	out := []finding{c.reachable()}
	if !out[0].ok {
		return out
	}
	if acc, f := c.account("payee", h.Destination); acc == nil {
		out = append(out, f)
	} else {
		out = append(out, f, c.trusts("payee", acc))
	}
	return append(out, clockFinding(ctx, h.HorizonURL))
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

// clockFinding compares this machine's clock with the Date of Horizon's
// answer.
func clockFinding(ctx context.Context, horizonURL string) finding {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, horizonURL, nil)
	if err != nil {
		return finding{what: "clock not checked: " + err.Error(), fix: "check the Horizon URL"}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return finding{what: "clock not checked: " + err.Error(), fix: "check the connection to Horizon"}
	}
	resp.Body.Close()
	theirs, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return finding{ok: true, what: "clock not checked: Horizon sends no Date"}
	}
	skew := time.Since(theirs).Round(time.Second)
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		return finding{what: fmt.Sprintf("this machine's clock is %s off Horizon's", skew),
			fix: "turn on time synchronisation (timedatectl set-ntp true, or install chrony)"}
	}
	return finding{ok: true, what: "this machine's clock agrees with Horizon's (within " + MaxClockSkew.String() + ")"}
}
