package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/spf13/pflag"

	"github.com/torplus/torplus/caddy-module/meter"
)

// TestServeFlagsReachTheMeter: flags and TORPLUS_* variables (flags
// winning) end up in the torplus handler as the owner meant them:
// "--free-round 0" is no free round (the handler's 0 is its 5 MB
// default), "--grace 0s" no grace, and the free budget is on by default.
func TestServeFlagsReachTheMeter(t *testing.T) {
	pay := []string{"--pay-to", testDestination, "--asset-issuer", testIssuer}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(meter.Handler) bool
	}{
		{"defaults", nil, pay, func(m meter.Handler) bool {
			return m.FreeRound == 5_000_000 && m.RoundBytes == 50_000_000 && m.FreeBytesPerMinute == meter.DefaultFreeBytesPerMinute && time.Duration(m.Grace) == 30*time.Second && m.Price == "1"
		}},
		{"no free round", nil, append(pay, "--free-round", "0"), func(m meter.Handler) bool { return m.FreeRound == -1 }},
		{"no grace", nil, append(pay, "--grace", "off"), func(m meter.Handler) bool { return m.Grace < 0 }},
		{"grace", nil, append(pay, "--grace", "2m"), func(m meter.Handler) bool { return time.Duration(m.Grace) == 2*time.Minute }},
		{"free budget off", nil, append(pay, "--free-bytes-per-minute", "off"), func(m meter.Handler) bool { return m.FreeBytesPerMinute == -1 }},
		{"pubnet", nil, append(pay, "--network", "pubnet"), func(m meter.Handler) bool { return m.Network == "Public Global Stellar Network ; September 2015" }},
		{"all from the environment", map[string]string{"TORPLUS_PAY_TO": testDestination, "TORPLUS_ASSET_ISSUER": testIssuer,
			"TORPLUS_PRICE": "2.5", "TORPLUS_FREE_ROUND": "1MB", "TORPLUS_ROUND": "10MB", "TORPLUS_GRACE": "5s",
			"TORPLUS_FREE_BYTES_PER_MINUTE": "7MB", "TORPLUS_HORIZON_URL": "http://127.0.0.1:8000", "TORPLUS_STELLAR_NETWORK": "pubnet"}, nil,
			func(m meter.Handler) bool {
				return m.Destination == testDestination && m.Price == "2.5" && m.FreeRound == 1_000_000 && m.RoundBytes == 10_000_000 &&
					time.Duration(m.Grace) == 5*time.Second && m.FreeBytesPerMinute == 7_000_000 && m.HorizonURL == "http://127.0.0.1:8000" && strings.HasPrefix(m.Network, "Public")
			}},
		{"flags win over the environment", map[string]string{"TORPLUS_PRICE": "9", "TORPLUS_FREE_ROUND": "1MB"},
			append(pay, "--price", "3", "--free-round", "2MB"), func(m meter.Handler) bool { return m.Price == "3" && m.FreeRound == 2_000_000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			clear(fromEnv)
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			addServeFlags(fs)
			if err := fs.Parse(append(tt.args, "--root", siteDir, "--admin", "off", "--data-dir", t.TempDir())); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(fs); err != nil {
				t.Fatal(err)
			}
			cfg, err := serveConfig(readServeFlags(caddycmd.Flags{FlagSet: fs}))
			if err != nil {
				t.Fatal(err)
			}
			m := torplusHandler(t, cfg)
			if !tt.want(m) {
				t.Fatalf("handler %+v", m)
			}
		})
	}
}

// torplusHandler finds the torplus handler in the onion server's routes.
func torplusHandler(t *testing.T, cfg *caddy.Config) meter.Handler {
	t.Helper()
	var app caddyhttp.App
	if err := json.Unmarshal(cfg.AppsRaw["http"], &app); err != nil {
		t.Fatal(err)
	}
	for _, raw := range app.Servers["onion"].Routes[0].HandlersRaw {
		var name struct {
			Handler string `json:"handler"`
		}
		var m meter.Handler
		if err := json.Unmarshal(raw, &name); err != nil {
			t.Fatal(err)
		}
		if name.Handler == "torplus" {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatal("no torplus handler")
	return meter.Handler{}
}

// TestServeFreeBudgetIsTheMeters: serve's default free budget is the
// meter's, so a Caddyfile without the option and serve without the flag
// bound free traffic the same way.
func TestServeFreeBudgetIsTheMeters(t *testing.T) {
	n, err := parseSize("free-bytes-per-minute", DefaultFreeBytesPerMinute, true)
	if err != nil || n != meter.DefaultFreeBytesPerMinute {
		t.Fatalf("serve's default %s is %d bytes (%v); the meter's is %d", DefaultFreeBytesPerMinute, n, err, meter.DefaultFreeBytesPerMinute)
	}
}
