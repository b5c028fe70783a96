// Package caddyfilefuzz is the shared body of the fuzz targets of our
// Caddyfile directives: each package's FuzzUnmarshalCaddyfile feeds
// arbitrary Caddyfile text to its UnmarshalCaddyfile through Caddy's own
// lexer (caddyfile.Tokenize; its NewTestDispenser would log.Fatal on
// input the lexer refuses, such as an unterminated heredoc) and calls Check.
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
	tokens, err := caddyfile.Tokenize([]byte(input), "Caddyfile")
	if err != nil {
		return // the lexer refuses it before any directive sees it
	}
	a := fresh()
	if err := a.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens)); err != nil {
		return
	}
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("accepted %q, but the config does not encode: %v", input, err)
	}
	b := fresh()
	again, _ := caddyfile.Tokenize([]byte(input), "Caddyfile") // a dispenser may edit its tokens
	if err := b.UnmarshalCaddyfile(caddyfile.NewDispenser(again)); err != nil {
		t.Fatalf("accepted %q once, then refused it: %v", input, err)
	}
	if jb, _ := json.Marshal(b); !bytes.Equal(ja, jb) {
		t.Fatalf("%q gave two configs:\n%s\n%s", input, ja, jb)
	}
}
