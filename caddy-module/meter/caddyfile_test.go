package meter

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	in := `torplus shop {
		price 1.5
		destination GDEST
		asset TPT GISSUER
		network "Test SDF Network ; September 2015"
		free_round 5MB
		round 50MiB
		ask_at 0.75
		grace 45s
		throttle 16KB
		request_ttl 10m
		payment_endpoint /pay
		free_budget 1GB
		pow 18
		allow_clearnet
		idle_timeout 1h
		max_sessions 5000
		store postgres "postgres://u@127.0.0.1/db" {
			unpaid_after 12h
			retain_batch 2000
		}
		flush_interval 100ms
		payment_secret_file /var/lib/torplus/payment-secret
		facilitator https://x402.example/facilitator
	}`
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
		t.Fatal(err)
	}
	want := Handler{Zone: "shop", Price: "1.5", Destination: "GDEST", AssetCode: "TPT", AssetIssuer: "GISSUER",
		Network: "Test SDF Network ; September 2015", FreeRound: 5_000_000, RoundBytes: 50 << 20, AskAt: 0.75,
		Grace: caddy.Duration(45 * time.Second), ThrottleRate: 16_000, RequestTTL: caddy.Duration(10 * time.Minute),
		PaymentEndpoint: "/pay", FreeBytesPerMinute: 1_000_000_000, PoWDifficulty: 18, AllowClearnet: true,
		IdleTimeout: caddy.Duration(time.Hour), MaxSessions: 5000, PaymentSecretFile: "/var/lib/torplus/payment-secret",
		Facilitator: "https://x402.example/facilitator"}
	want.Store.Driver, want.Store.DSN, want.Store.FlushInterval = "postgres", "postgres://u@127.0.0.1/db", caddy.Duration(100*time.Millisecond)
	want.Store.Retention.UnpaidAfter, want.Store.Retention.Batch = caddy.Duration(12*time.Hour), 2000
	got, _ := json.Marshal(h)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Fatalf("got  %s\nwant %s", got, exp)
	}
	if err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser("torplus a b")); err == nil {
		t.Error("two zone names: no error")
	}
	for _, bad := range []string{
		"bogus 1", "round", "round lots", "asset TPT", "store postgres", "ledger", "grace forever",
		"allow_clearnet yes", "pow hard", "ask_at most", "store sqlite {\nunpaid_after never\n}", "facilitator", "facilitator a b",
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("torplus {\n" + bad + "\n}")); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	var off Handler
	if err := off.UnmarshalCaddyfile(caddyfile.NewTestDispenser("torplus {\nfree_round off\ngrace off\n}")); err != nil ||
		off.FreeRound != -1 || off.Grace != -1 {
		t.Fatalf("off: %+v %v", off, err)
	}
}

// TestDirectiveOrder adapts a Caddyfile and checks torplus runs before the
// handlers that write responses.
func TestDirectiveOrder(t *testing.T) {
	in := `:8080 {
		file_server
		reverse_proxy /api/* 127.0.0.1:9000
		encode gzip
		torplus {
			price 1
			destination ` + testDest + `
			asset TPT ` + testIssuer + `
		}
	}`
	js, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(js)
	tp, enc, rp, fs := strings.Index(s, `"handler":"torplus"`), strings.Index(s, `"handler":"encode"`),
		strings.Index(s, `"handler":"reverse_proxy"`), strings.Index(s, `"handler":"file_server"`)
	if tp < 0 || enc < 0 || rp < 0 || fs < 0 || !(tp < enc && tp < rp && tp < fs) {
		t.Fatalf("torplus must come first: torplus@%d encode@%d reverse_proxy@%d file_server@%d\n%s", tp, enc, rp, fs, s)
	}
}

func TestValidate(t *testing.T) {
	good := func() *Handler {
		return &Handler{Price: "1", Destination: testDest, AssetIssuer: testIssuer}
	}
	tests := []struct {
		name string
		mod  func(*Handler)
		ok   bool
	}{
		{"defaults", func(*Handler) {}, true},
		{"no price", func(h *Handler) { h.Price = "" }, false},
		{"bad destination", func(h *Handler) { h.Destination = "nope" }, false},
		{"ask_at 1", func(h *Handler) { h.AskAt = 1 }, false},
		{"negative free round", func(h *Handler) { h.FreeRound = -2 }, false},
		{"negative throttle", func(h *Handler) { h.ThrottleRate = -1 }, false},
		{"pow too hard", func(h *Handler) { h.PoWDifficulty = 64 }, false},
		{"bad ledger", func(h *Handler) { h.Store.Driver = "mysql" }, false},
	}
	for _, tt := range tests {
		h := good()
		tt.mod(h)
		h.prepare()
		if err := h.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

// TestDocExample adapts the Caddyfile examples of docs/metering.md (global
// options, then the site) and validates the torplus handler they make.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metering.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```caddyfile\n")
	if len(blocks) != 3 {
		t.Fatalf("want 2 caddyfile examples in docs/metering.md, found %d", len(blocks)-1)
	}
	site, global := strings.Split(blocks[1], "```")[0], strings.Split(blocks[2], "```")[0]
	js, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(global+site), nil)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					ListenerWrappers []map[string]any `json:"listener_wrappers"`
					Routes           []struct {
						Handle []json.RawMessage `json:"handle"`
					} `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(js, &cfg); err != nil {
		t.Fatal(err)
	}
	srv := cfg.Apps.HTTP.Servers["srv0"]
	if len(srv.ListenerWrappers) != 1 || srv.ListenerWrappers[0]["wrapper"] != "proxy_protocol" || len(srv.Routes) == 0 {
		t.Fatalf("adapted config: %s", js)
	}
	var h Handler
	if err := json.Unmarshal(srv.Routes[0].Handle[0], &h); err != nil {
		t.Fatal(err)
	}
	h.prepare()
	if err := h.Validate(); err != nil || h.PoWDifficulty != 18 || h.Store.Driver != "sqlite" {
		t.Fatalf("doc example handler %+v: %v", h, err)
	}
}
