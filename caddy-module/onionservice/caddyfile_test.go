package onionservice

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  App
		err   string
	}{
		{"data dir as argument", `onion /var/lib/torplus`, App{DataDir: "/var/lib/torplus"}, ""},
		{"block", `onion {
			data_dir /srv/tp
			domain example.com
			torrc /etc/torplus/extra.torrc
			tor_path /usr/sbin/tor
			virtual_port 8080
			onionbalance_master abc.onion
		}`, App{DataDir: "/srv/tp", Domain: "example.com", Torrc: "/etc/torplus/extra.torrc", TorPath: "/usr/sbin/tor", VirtualPort: 8080, OnionbalanceMaster: "abc.onion"}, ""},
		{"unknown option", "onion {\n colour purple\n}", App{}, "unknown onion option"},
		{"missing value", "onion {\n domain\n}", App{}, "wrong argument count"},
		{"extra value", "onion {\n domain a b\n}", App{}, "wrong argument count"},
		{"bad port", "onion {\n virtual_port eighty\n}", App{}, "virtual_port"},
		{"two arguments", `onion /a /b`, App{}, "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got App
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGlobalOptionMakesOnionApp(t *testing.T) {
	v, err := parseGlobalOption(caddyfile.NewTestDispenser("onion /srv/tp {\n domain example.com\n}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	app, ok := v.(httpcaddyfile.App)
	if !ok || app.Name != "onion" {
		t.Fatalf("global option gave %#v, want the onion app", v)
	}
	var got App
	if err := json.Unmarshal(app.Value, &got); err != nil {
		t.Fatal(err)
	}
	if want := (App{DataDir: "/srv/tp", Domain: "example.com"}); got != want {
		t.Fatalf("app config %+v, want %+v", got, want)
	}
}
