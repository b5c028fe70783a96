package attention

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/stellar/go-stellar-sdk/keypair"

	"github.com/torplus/torplus/caddy-module/store"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		in     string
		want   Handler
		reason string // in the error; "" for none
	}{
		{"torplus_attention", Handler{}, ""},
		{`torplus_attention news {
			zone shop
			allow_clearnet
			new_sessions 120
			payee /articles/ ` + payeeA + `:2 ` + payeeB + `
			payee /about.html ` + payeeA + `
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
		}`, Handler{Site: "news", Zone: "shop", AllowClearnet: true, NewSessions: 120,
			Payees:   []PayeeRule{{"/articles/", []PayeeWeight{{payeeA, 2}, {payeeB, 1}}}, {"/about.html", []PayeeWeight{{payeeA, 1}}}},
			Endpoint: "/attn", Root: "/srv/www", Pages: []string{"/blog/*.html", "/"},
			PageExtensions: []string{".html", ".xhtml"}, MaxBody: 4096, Slack: caddy.Duration(3 * time.Second),
			FirstReport: caddy.Duration(5 * time.Minute), PerMinute: 20, Burst: 4, MaxSessions: 500,
			SessionTTL: caddy.Duration(2 * time.Hour), Destination: "GSITE", AssetCode: "TPX",
			Store: store.Config{Driver: "postgres", DSN: "postgres://db/torplus"}}, ""},
		{"torplus_attention a b", Handler{}, "wrong argument count"},
		{"torplus_attention {\n bogus 1\n}", Handler{}, `unknown torplus_attention option "bogus"`},
		{"torplus_attention {\n slack\n}", Handler{}, "wrong argument count"},
		{"torplus_attention {\n rate x\n}", Handler{}, "rate: "},
		{"torplus_attention {\n store postgres\n}", Handler{}, "postgres"},
		{"torplus_attention {\n max_body lots\n}", Handler{}, "max_body: "},
		{"torplus_attention {\n allow_clearnet yes\n}", Handler{}, "wrong argument count"},
		{"torplus_attention {\n new_sessions many\n}", Handler{}, "new_sessions: "},
		{"torplus_attention {\n payee /a/ GNOPE\n}", Handler{}, "not a Stellar account"},
	}
	for _, tt := range tests {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.in))
		if tt.reason != "" {
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("%q: err = %v, want one saying %q", tt.in, err, tt.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, h, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		h      Handler
		reason string
	}{
		{Handler{Endpoint: "attn", MaxBody: 2048}, "endpoint must be a path"},
		{Handler{Endpoint: "/a", MaxBody: 10}, "max_body must be between"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Burst: -1}, "must not be negative"},
		{Handler{Endpoint: "/a", MaxBody: 2048, NewSessions: -1}, "must not be negative"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Pages: []string{"blog/*"}}, "must start with /"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Pages: []string{"/[x"}}, "syntax error"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Payees: []PayeeRule{{Pattern: "/a/", Payees: []PayeeWeight{{payeeA, 0}}}}}, "weight"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Payees: []PayeeRule{{Pattern: "/a/"}}}, "at least one account"},
		{Handler{Endpoint: "/a", MaxBody: 2048, Store: store.Config{Driver: "mysql"}}, "mysql"},
	} {
		if err := tt.h.Validate(); err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%+v: %v, want an error saying %q", tt.h, err, tt.reason)
		}
	}
}

// Accounts of the payee rules in these tests.
var (
	payeeA = keypair.MustRandom().Address()
	payeeB = keypair.MustRandom().Address()
)

// TestDirectiveOrder: in a Caddyfile, torplus_attention runs after the
// meter and before the file server, whatever order the site block lists
// them in.
func TestDirectiveOrder(t *testing.T) {
	cf := "http://127.0.0.1:8080 {\n\tfile_server\n\ttorplus_attention\n\ttorplus {\n\t\tprice 1\n\t\tdestination " + payeeA +
		"\n\t\tasset TPT " + payeeB + "\n\t}\n}\n"
	js, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatal(err)
	}
	order := []string{`"handler":"torplus"`, `"handler":"torplus_attention"`, `"handler":"file_server"`}
	last := -1
	for _, h := range order {
		i := strings.Index(string(js), h)
		if i < last {
			t.Fatalf("handlers not in the order %v:\n%s", order, js)
		}
		last = i
	}
}
