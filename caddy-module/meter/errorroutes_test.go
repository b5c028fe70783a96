package meter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// TestErrorRoutesMetered: handle_errors routes that serve content run
// outside the failed request's meter. A config whose error routes serve a
// file with no torplus before it is refused; with torplus first, content
// served from an error route is counted and bounded like any other.
func TestErrorRoutesMetered(t *testing.T) {
	const free = 200_000
	site := startSite(t, map[string]map[string]any{"err": {"free_round": free, "grace": "-1ns"}}, "")
	site.file("big.bin", 1<<20)
	srv := site.cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)["err"].(map[string]any)
	meterJSON := srv["routes"].([]any)[0].(map[string]any)["handle"].([]any)[0]
	serveBig := []any{
		map[string]any{"handler": "rewrite", "uri": "/big.bin"},
		map[string]any{"handler": "file_server", "root": site.dir, "status_code": 404},
	}
	tests := []struct {
		name    string
		handle  []any // the error route's handlers
		wantErr error
	}{
		{"file_server unmetered", serveBig, ErrUnmeteredErrorRoute},
		{"inside a subroute, unmetered", []any{map[string]any{"handler": "subroute",
			"routes": []any{map[string]any{"handle": serveBig}}}}, ErrUnmeteredErrorRoute},
		{"static text needs no meter", []any{map[string]any{"handler": "static_response", "body": "not here"}}, nil},
		{"torplus first", append([]any{meterJSON}, serveBig...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv["errors"] = map[string]any{"routes": []any{map[string]any{"handle": tt.handle}}}
			js, err := json.Marshal(site.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = caddy.Load(js, true)
			if tt.wantErr != nil {
				// Caddy flattens the provisioning error to text.
				if err == nil || !strings.Contains(err.Error(), tt.wantErr.Error()) {
					t.Fatalf("caddy.Load = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("caddy.Load = %v", err)
			}
		})
	}
	// The last config loaded has torplus first in its error route: every
	// missing page serves big.bin, within one allowance.
	var got int64
	c := newClient(9601, "", "")
	for range 8 {
		if status, n, _ := c.fetch(t, site.url("err", "/missing")); status == 404 {
			got += n
		}
	}
	if got == 0 || got > free {
		t.Fatalf("error routes served %d bytes; want some, at most the allowance %d", got, free)
	}
	if served := site.servedTo("err", circuitKey(9601), got); served < got {
		t.Fatalf("counted %d bytes of %d served from error routes", served, got)
	}
}
