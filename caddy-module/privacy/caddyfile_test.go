package privacy

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/torplus/torplus/fuzz/caddyfilefuzz"
)

// TestUnmarshalCaddyfile: the directive sets secret_file, and each
// mistake is refused with a message that names it.
func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		input, want, err string
	}{
		{"torplus_privacy", "", ""},
		{"torplus_privacy {\n secret_file /var/lib/torplus/privacy.key\n}", "/var/lib/torplus/privacy.key", ""},
		{"torplus_privacy /x", "", "wrong argument count"},
		{"torplus_privacy {\n secret_file\n}", "", "wrong argument count"},
		{"torplus_privacy {\n secret_file a b\n}", "", "wrong argument count"},
		{"torplus_privacy {\n secret_file a\n secret_file b\n}", "", "secret_file already specified"},
		{"torplus_privacy {\n colour red\n}", "", "unknown torplus_privacy option"},
	}
	for _, tt := range tests {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %v, want %q", tt.input, err, tt.err)
			}
			continue
		}
		if err != nil || h.SecretFile != tt.want {
			t.Errorf("%q: secret_file %q, %v; want %q", tt.input, h.SecretFile, err, tt.want)
		}
	}
}

// FuzzUnmarshalCaddyfile feeds arbitrary text to the torplus_privacy directive.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{"torplus_privacy", "torplus_privacy {\n secret_file /k\n}", "torplus_privacy {\n secret_file\n}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		caddyfilefuzz.Check(t, func() *Handler { return new(Handler) }, in)
	})
}
