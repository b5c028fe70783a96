package attention

import (
	"reflect"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/torplus/torplus/caddy-module/store"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		in   string
		want Handler
		bad  bool
	}{
		{"torplus_attention", Handler{}, false},
		{`torplus_attention news {
			endpoint /attn
			root /srv/www
			pages /blog/*.html /
			page_extensions .html .xhtml
			max_body 4KiB
			slack 3s
			first_report 5m
			rate 20 4
			max_sessions 500
			session_ttl 2h
			destination GSITE
			asset_code TPX
			store postgres postgres://db/torplus
		}`, Handler{Site: "news", Endpoint: "/attn", Root: "/srv/www", Pages: []string{"/blog/*.html", "/"},
			PageExtensions: []string{".html", ".xhtml"}, MaxBody: 4096, Slack: caddy.Duration(3 * time.Second),
			FirstReport: caddy.Duration(5 * time.Minute), PerMinute: 20, Burst: 4, MaxSessions: 500,
			SessionTTL: caddy.Duration(2 * time.Hour), Destination: "GSITE", AssetCode: "TPX",
			Store: store.Config{Driver: "postgres", DSN: "postgres://db/torplus"}}, false},
		{"torplus_attention a b", Handler{}, true},
		{"torplus_attention {\n bogus 1\n}", Handler{}, true},
		{"torplus_attention {\n slack\n}", Handler{}, true},
		{"torplus_attention {\n rate x\n}", Handler{}, true},
		{"torplus_attention {\n store postgres\n}", Handler{}, true},
		{"torplus_attention {\n max_body lots\n}", Handler{}, true},
	}
	for _, tt := range tests {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.in))
		if (err != nil) != tt.bad {
			t.Errorf("%q: err = %v", tt.in, err)
			continue
		}
		if !tt.bad && !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, h, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, h := range []Handler{
		{Endpoint: "attn", MaxBody: 2048},
		{Endpoint: "/a", MaxBody: 10},
		{Endpoint: "/a", MaxBody: 2048, Burst: -1},
		{Endpoint: "/a", MaxBody: 2048, Pages: []string{"blog/*"}},
		{Endpoint: "/a", MaxBody: 2048, Pages: []string{"/[x"}},
		{Endpoint: "/a", MaxBody: 2048, Store: store.Config{Driver: "mysql"}},
	} {
		if err := h.Validate(); err == nil {
			t.Errorf("%+v validated", h)
		}
	}
}
