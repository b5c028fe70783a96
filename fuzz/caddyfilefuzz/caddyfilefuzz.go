// Package caddyfilefuzz is the shared body of the fuzz targets of our
// Caddyfile directives: each package's FuzzUnmarshalCaddyfile feeds
// arbitrary Caddyfile text to its UnmarshalCaddyfile through Caddy's own
// lexer (caddyfile.NewTestDispenser) and calls Check.
package caddyfilefuzz

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Check unmarshals input into two values made by fresh. A directive must
// never panic; when it accepts the input, the value must encode as JSON
// (the form Caddy loads) and the same input must give the same config.
func Check[T caddyfile.Unmarshaler](t *testing.T, fresh func() T, input string) {
	t.Helper()
	a := fresh()
	if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		return
	}
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("accepted %q, but the config does not encode: %v", input, err)
	}
	b := fresh()
	if err := b.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatalf("accepted %q once, then refused it: %v", input, err)
	}
	if jb, _ := json.Marshal(b); !bytes.Equal(ja, jb) {
		t.Fatalf("%q gave two configs:\n%s\n%s", input, ja, jb)
	}
}
