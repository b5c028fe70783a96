package meter

import (
	"strings"
	"testing"
)

func TestPrefersHTML(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true}, // Tor Browser
		{"application/json", false},
		{"application/json, text/html", false},
		{"text/html, application/json", true},
		{"*/*", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := prefersHTML(tt.accept); got != tt.want {
			t.Errorf("prefersHTML(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func FuzzPrefersHTML(f *testing.F) {
	f.Add("text/html,*/*;q=0.8")
	f.Add("application/json;q=1, text/html;q=0.1")
	f.Fuzz(func(t *testing.T, accept string) {
		if prefersHTML(accept) && !strings.Contains(accept, "text/html") {
			t.Fatalf("HTML chosen for %q", accept)
		}
	})
}
