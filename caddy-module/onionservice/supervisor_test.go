package onionservice

import (
	"strings"
	"testing"
)

func TestParseBootstrap(t *testing.T) {
	tests := []struct {
		in                string
		progress, summary string
	}{
		{`NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"`, "5", "Connecting to a relay"},
		{`NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`, "100", "Done"},
		{`WARN BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking" WARNING="Connection refused"`, "14", "Handshaking"},
		{``, "", ""},
	}
	for _, tt := range tests {
		got := parseBootstrap(tt.in)
		if got["PROGRESS"] != tt.progress || got["SUMMARY"] != tt.summary {
			t.Errorf("parseBootstrap(%q) = %v", tt.in, got)
		}
	}
}

// FuzzParseBootstrap: tor's control-port text never panics the parser, and
// a summary never spans a quote.
func FuzzParseBootstrap(f *testing.F) {
	f.Add(`NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"`)
	f.Add(`SUMMARY="`)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(parseBootstrap(s)["SUMMARY"], `"`) {
			t.Fatalf("summary of %q holds a quote", s)
		}
	})
}
