package main

import (
	"errors"
	"fmt"
	"testing"
)

// TestPlainError: Caddy's loading chain is cut from a module's error, what
// the module said is kept, and errors.Is still sees the cause.
func TestPlainError(t *testing.T) {
	cause := errors.New("destination is not a Stellar account id (G…)")
	tests := []struct {
		chain, want string
	}{
		{"loading new config: loading http app module: provision http: server onion: setting up route handlers: route 0: " +
			"loading handler modules: position 1: loading module 'torplus': provision http.handlers.torplus: torplus: payreq: %w",
			"destination is not a Stellar account id (G…)"},
		{"loading new config: loading onion app module: onion: invalid configuration: %w", "destination is not a Stellar account id (G…)"},
		{"listening on 127.0.0.1:2020: %w", "listening on 127.0.0.1:2020: destination is not a Stellar account id (G…)"},
	}
	for _, tt := range tests {
		err := fmt.Errorf(tt.chain, cause)
		if got := plainError(err); got != tt.want || !errors.Is(err, cause) {
			t.Errorf("plainError(%q) = %q, want %q", err, got, tt.want)
		}
	}
}
