package meter

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// TestFreeBudgetOnByDefault: the global free budget bounds free rounds
// unless the config turns it off explicitly; nonsense is refused by name.
func TestFreeBudgetOnByDefault(t *testing.T) {
	tests := []struct {
		name    string
		block   string // the torplus block's budget line
		want    int64  // bytes per minute the zone gets (0: unbounded)
		wantErr string
	}{
		{"unset: the default", "", DefaultFreeBytesPerMinute, ""},
		{"a size", "free_budget 1GB", 1_000_000_000, ""},
		{"off", "free_budget off", 0, ""},
		{"not a size", "free_budget lots", 0, "free_budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := caddyfile.NewTestDispenser("torplus {\n price 1\n destination " + testDest +
				"\n asset TPT " + testIssuer + "\n " + tt.block + "\n}")
			var h Handler
			err := h.UnmarshalCaddyfile(d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h.prepare()
			if err := h.Validate(); err != nil {
				t.Fatal(err)
			}
			if h.freeBudget != tt.want {
				t.Fatalf("free budget %d bytes per minute, want %d", h.freeBudget, tt.want)
			}
		})
	}
	h := Handler{Price: "1", Destination: testDest, AssetIssuer: testIssuer, FreeBytesPerMinute: -2}
	h.prepare()
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "free_bytes_per_minute") {
		t.Fatalf("free_bytes_per_minute -2: err = %v", err)
	}
}
