package store

import (
	"errors"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestConfigParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want Config
		err  error
	}{
		{[]string{"sqlite"}, Config{Driver: "sqlite"}, nil},
		{[]string{"sqlite", "/var/lib/torplus/store.db"}, Config{Driver: "sqlite", DSN: "/var/lib/torplus/store.db"}, nil},
		{[]string{"postgres", "postgres://u@127.0.0.1/torplus"}, Config{Driver: "postgres", DSN: "postgres://u@127.0.0.1/torplus"}, nil},
		{nil, Config{}, ErrStoreArgs},
		{[]string{"postgres"}, Config{}, ErrStoreArgs},
		{[]string{"sqlite", "a", "b"}, Config{}, ErrStoreArgs},
	}
	for _, tt := range tests {
		var got Config
		err := got.ParseArgs(tt.args)
		if !errors.Is(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("ParseArgs(%q) = %+v, %v; want %+v, %v", tt.args, got, err, tt.want, tt.err)
		}
	}
}

func TestConfigParseBlock(t *testing.T) {
	day := caddy.Duration(24 * time.Hour)
	tests := []struct {
		block string
		want  Retention
		err   error
	}{
		{"", Retention{}, nil},
		{"{\n}", Retention{}, nil},
		{"{\nexpired_after 2d\nunpaid_after 12h\npaid_history 400d\nretain_every 30m\nretain_batch 2000\n}",
			Retention{ExpiredAfter: 2 * day, UnpaidAfter: day / 2, PaidHistory: 400 * day, Every: caddy.Duration(30 * time.Minute), Batch: 2000}, nil},
		{"{\nretention off\n}", Retention{Off: true}, nil},
		{"{\nretention on\n}", Retention{}, ErrRetentionArgs},
		{"{\nexpired_after\n}", Retention{}, ErrRetentionArgs},
		{"{\nexpired_after 1d 2d\n}", Retention{}, ErrRetentionArgs},
		{"{\nunpaid_after soon\n}", Retention{}, ErrRetentionArgs},
		{"{\npaid_history -5d\n}", Retention{}, ErrRetentionArgs},
		{"{\nretain_every 1ms\n}", Retention{}, ErrRetentionArgs},
		{"{\nretain_batch 0\n}", Retention{}, ErrRetentionArgs},
		{"{\nretain_batch many\n}", Retention{}, ErrRetentionArgs},
		{"{\nkeep_forever yes\n}", Retention{}, ErrRetentionArgs},
	}
	for _, tt := range tests {
		d := caddyfile.NewTestDispenser("store sqlite " + tt.block)
		d.Next()
		var got Config
		err := got.ParseArgs(d.RemainingArgs())
		if err == nil {
			err = got.ParseBlock(d)
		}
		if !errors.Is(err, tt.err) || (err == nil && got.Retention != tt.want) {
			t.Errorf("store sqlite %q: %+v, %v; want %+v, %v", tt.block, got.Retention, err, tt.want, tt.err)
		}
	}
}
